// A trace file is refused, with its line and column, where it is not what it claims: hex, bad quotes, bad bytes, twice the same row.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openTraceFile, TraceFormatError } from '../../lib/sim/trace/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'trace-strict-'));

async function errorOf(content: string | Uint8Array): Promise<string> {
  const file = join(dir, `t-${Math.random().toString(36).slice(2)}.csv`);
  writeFileSync(file, content);
  try {
    const trace = await openTraceFile(file);
    for await (const row of trace.rows as AsyncIterable<unknown>) void row;
  } catch (error) {
    expect(error).toBeInstanceOf(TraceFormatError);
    return (error as Error).message.replace(/^t-[a-z0-9]+\.csv/, 'x.csv');
  }
  throw new Error('the trace was accepted');
}

const HEADER = 'timestamp,team,gpus_busy\n';

describe('strict trace CSV', () => {
  it('refuses a hexadecimal count', async () => {
    expect(await errorOf(`${HEADER}2024-01-01T00:00:00Z,a,0x10\n`)).toMatch(
      /^x\.csv:2:3 \(gpus_busy\): expected a decimal/,
    );
  });

  it('refuses 1e308 GPUs with its line and column (it used to reach the solver)', async () => {
    expect(await errorOf(`${HEADER}2024-01-01T00:00:00Z,a,4\n2024-01-01T01:00:00Z,a,1e308\n`)).toMatch(
      /^x\.csv:3:3 \(gpus_busy\): expected a decimal number of GPUs from 0 to 10,000,000, got "1e308"/,
    );
  });

  it('refuses an unclosed quote', async () => {
    expect(await errorOf(`${HEADER}2024-01-01T00:00:00Z,"a,4\n2024-01-01T01:00:00Z,a,4\n`)).toMatch(
      /^x\.csv:2:\d+: .*quote/i,
    );
  });

  it('refuses bytes that are not UTF-8, naming the line', async () => {
    const bytes = Buffer.concat([
      Buffer.from(`${HEADER}2024-01-01T00:00:00Z,a,4\n2024-01-01T01:00:00Z,`),
      Buffer.from([0xff, 0xfe]),
      Buffer.from(',4\n'),
    ]);
    expect(await errorOf(bytes)).toMatch(/^x\.csv:3:\d+: .*UTF-8/);
  });

  it('refuses an exact duplicate of timestamp, pool and team instead of doubling the hour', async () => {
    expect(
      await errorOf(
        `${HEADER}2024-01-01T00:00:00Z,a,4\n2024-01-01T00:00:00Z,b,4\n2024-01-01T00:00:00Z,a,4\n`,
      ),
    ).toMatch(
      /^x\.csv:4:1 \(timestamp\): a second row for the same timestamp, pool and team \(first on line 2\)/,
    );
  });

  it('still reads the same key at another time, and other teams at the same time', async () => {
    writeFileSync(
      join(dir, 'ok.csv'),
      `${HEADER}2024-01-01T00:00:00Z,a,4\n2024-01-01T00:00:00Z,b,4\n2024-01-01T01:00:00Z,a,4.5\n`,
    );
    const trace = await openTraceFile(join(dir, 'ok.csv'));
    const rows: unknown[] = [];
    for await (const row of trace.rows as AsyncIterable<unknown>) rows.push(row);
    expect(rows).toHaveLength(3);
  });
});
