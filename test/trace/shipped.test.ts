import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openTraceFile, usageRowsOf } from '../../lib/sim/trace/index.ts';

const DATA = join(import.meta.dirname, '../../data');
const SHIPPED = [
  { file: 'philly/philly-5min.csv', research: false },
  { file: 'research/alibaba-dlrm/alibaba-dlrm-5min.csv', research: true },
  { file: 'research/helios-venus/venus-10min.csv', research: true },
];

describe('the converted traces in data/', () => {
  it.each(SHIPPED)(
    '$file is a valid usage trace with a SOURCE.md that states its licence',
    async ({ file, research }) => {
      const trace = await openTraceFile(join(DATA, file));
      let rows = 0;
      let first = Infinity;
      let last = -Infinity;
      for await (const row of usageRowsOf(trace)) {
        rows++;
        first = Math.min(first, row.atMs);
        last = Math.max(last, row.atMs);
      }
      // At least four weeks, so the forecast bench has its origins.
      expect(last - first).toBeGreaterThan(28 * 86_400_000);
      expect(rows).toBeGreaterThan(1000);
      const source = await readFile(join(DATA, file, '../SOURCE.md'), 'utf8');
      expect(source).toMatch(/## Licence/);
      expect(source).toMatch(/## Conversion rule/);
      expect(file.startsWith('research/')).toBe(research);
    },
  );
});
