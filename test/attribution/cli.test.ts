import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { z } from 'zod';
import { attributeHour } from '../../lib/attribution/hour.ts';
import { zAttributionOptions } from '../../lib/attribution/options.ts';
import { ATTRIBUTION_COLUMNS, zAttributionRow } from '../../lib/domain/attribution.ts';
import { parseUsd } from '../../lib/domain/money.ts';
import { HOUR_MS } from '../../lib/domain/time.ts';
import { runCli } from '../../lib/cli/main.ts';
import type { CommandIo } from '../../lib/cli/command.ts';
import { freshDynamoStore } from '../support/dynamo.ts';
import { node } from '../idle/build.ts';

const HOUR = Date.parse('2026-03-02T10:00:00Z');

function capture(env: Record<string, string> = {}) {
  const out = { stdout: '', stderr: '' };
  const io: CommandIo = {
    stdout: (t) => (out.stdout += t),
    stderr: (t) => (out.stderr += t),
    interactive: false,
    env,
    cwd: process.cwd(),
  };
  return { io, out };
}

describe('gpu-optimizer attribution export', () => {
  it('writes the stored rows of the range as CSV or JSON', async () => {
    const { store, tableName } = await freshDynamoStore();
    const prices = [
      {
        poolId: 'pool-a',
        option: 'on-demand' as const,
        usdPerHour: parseUsd('3'),
        asOf: '2026-03-01T00:00:00Z',
      },
    ].map((q) => ({ ...q, source: 'catalog' as const, modelled: false }));
    const nodes = [node({ nodeId: 'i-a', poolId: 'pool-a' }), node({ nodeId: 'i-b', poolId: 'pool-a' })];
    for (const h of [HOUR, HOUR + HOUR_MS]) {
      const { rows } = attributeHour({
        hourStartMs: h,
        nodes,
        rollups: [],
        prices,
        options: zAttributionOptions.parse({}),
      });
      await store.attribution.putHour(h, rows);
    }
    const range = ['--from', '2026-03-02T10:00:00Z', '--to', '2026-03-02T11:00:00Z', '--table', tableName];
    const endpoint = inject('dynamoEndpoint');

    const csv = capture({ AWS_ENDPOINT_URL_DYNAMODB: endpoint });
    expect(await runCli(['attribution', 'export', '--format', 'csv', ...range], csv.io)).toBe(0);
    const lines = csv.out.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(ATTRIBUTION_COLUMNS.join(','));
    expect(lines.slice(1).map((l) => l.split(',').slice(0, 3))).toEqual([
      ['3.000000', '3.000000', '3.000000'],
      ['3.000000', '3.000000', '3.000000'],
    ]);

    const json = capture();
    expect(
      await runCli(['attribution', 'export', '--format', 'json', '--endpoint', endpoint, ...range], json.io),
    ).toBe(0);
    const rows = (JSON.parse(json.out.stdout) as unknown[]).map((r) => z.decode(zAttributionRow, r as never));
    expect(rows.map((r) => [r.ResourceId, r.x_JobId, r.ChargePeriodStart])).toEqual([
      ['i-a', '__idle__', '2026-03-02T10:00:00Z'],
      ['i-b', '__idle__', '2026-03-02T10:00:00Z'],
    ]);
  });

  it('exits 2 with the reason on a wrong command line', async () => {
    const cases = [
      [
        'attribution',
        'export',
        '--format',
        'xml',
        '--from',
        '2026-03-02T10:00:00Z',
        '--to',
        '2026-03-02T11:00:00Z',
      ],
      ['attribution', 'export', '--from', 'yesterday', '--to', '2026-03-02T11:00:00Z'],
      ['attribution', 'import'],
      ['attribution', 'export', '--from', '2026-03-02T10:00:00Z', '--to', '2026-03-02T11:00:00Z'],
    ];
    const reasons = [];
    for (const argv of cases) {
      const { io, out } = capture();
      expect(await runCli(argv, io)).toBe(2);
      reasons.push(out.stderr.split('\n')[0]);
    }
    expect(reasons).toEqual([
      expect.stringContaining('--format must be csv, json or focus-1.3'),
      expect.stringContaining('--from must be a date (2017-11-01) or an RFC 3339 time, got "yesterday"'),
      expect.stringContaining('expected the subcommand "export"'),
      expect.stringContaining('--table (or GPU_OPTIMIZER_TABLE)'),
    ]);
  });
});
