import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  aggregateUsage,
  demandOf,
  jobsToUsage,
  openTrace,
  openTraceFile,
  jobRowsOf,
  TraceFormatError,
  usageRowsOf,
} from '../../lib/sim/trace/index.ts';

const fixture = (name: string) => join(import.meta.dirname, '../fixtures/trace', name);
const HOUR = 3_600_000;
const T0 = Date.parse('2024-01-01T00:00:00Z');

async function collect<T>(rows: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const r of rows) out.push(r);
  return out;
}

async function errorOf(name: string): Promise<string> {
  try {
    const trace = await openTraceFile(fixture(name));
    await collect(trace.rows as AsyncIterable<unknown>);
  } catch (error) {
    expect(error).toBeInstanceOf(TraceFormatError);
    return (error as Error).message;
  }
  throw new Error(`${name} was accepted`);
}

describe('trace reader', () => {
  it('reads a usage trace with columns in any order', async () => {
    const trace = await openTraceFile(fixture('usage-teams.csv'));
    expect(trace.kind).toBe('usage');
    const rows = await collect(usageRowsOf(trace));
    expect(rows).toHaveLength(7);
    expect(rows[0]).toEqual({ atMs: T0, team: 'vision', pool: 'onprem:a', gpusBusy: 8, gpusPending: 2 });
    expect(rows[2]).toEqual({ atMs: T0, team: 'vision', pool: 'onprem:b', gpusBusy: 8 });
  });

  it('reports a bad number with file, line and column', async () => {
    expect(await errorOf('usage-bad-number.csv')).toBe(
      'usage-bad-number.csv:3:2 (gpus_busy): expected a decimal number of GPUs from 0 to 10,000,000, got "abc"',
    );
  });

  it('reports a bad time, a short row, an irregular step and an unknown header', async () => {
    expect(await errorOf('usage-bad-time.csv')).toMatch(
      /^usage-bad-time\.csv:3:1 \(timestamp\): expected an RFC 3339/,
    );
    expect(await errorOf('usage-short-row.csv')).toMatch(/^usage-short-row\.csv:3:3: expected 3 cells/);
    expect(await errorOf('usage-irregular.csv')).toMatch(
      /^usage-irregular\.csv:4:1 \(timestamp\): .*regular step/,
    );
    expect(await errorOf('unknown-header.csv')).toMatch(
      /^unknown-header\.csv:1: header "time,busy" is neither/,
    );
  });

  it('refuses rows out of time order and unknown columns', async () => {
    const back = await openTrace(
      ['timestamp,gpus_busy', '2024-01-01T01:00:00Z,1', '2024-01-01T00:00:00Z,1'],
      'b.csv',
    );
    await expect(collect(back.rows as AsyncIterable<unknown>)).rejects.toThrow(
      'b.csv:3:1 (timestamp): rows must be in time order',
    );
    await expect(openTrace(['timestamp,gpus_busy,gpus_idle'], 'c.csv')).rejects.toThrow(
      'c.csv:1:3 (gpus_idle): unknown column',
    );
  });

  it('reads a job trace, quoted cells and open start/end', async () => {
    const trace = await openTraceFile(fixture('jobs.csv'));
    expect(trace.kind).toBe('job');
    const jobs = await collect(jobRowsOf(trace));
    expect(jobs.map((j) => [j.jobId, j.user, j.startMs, j.endMs])).toEqual([
      ['j1', 'ann', T0 + HOUR / 2, T0 + 2 * HOUR],
      ['j2', 'bob', T0 + HOUR, null],
      ['j3', 'cy, jr', null, null],
    ]);
    expect(await errorOf('jobs-end-before-start.csv')).toBe(
      'jobs-end-before-start.csv:2:7 (end): a job cannot end before it starts',
    );
  });
});

describe('aggregation', () => {
  it('sums a key per timestamp, averages over a coarser step, counts absent keys as 0 and keeps gaps', async () => {
    const trace = await openTraceFile(fixture('usage-teams.csv'));
    const series = await aggregateUsage(usageRowsOf(trace), {
      stepMs: HOUR,
      keyOf: (r) => ({ team: r.team ?? '*', pool: '*' }),
    });
    const vision = series.find((s) => s.key.team === 'vision')!;
    // 00:00 → 8+8 busy, 00:30 → 16: hour mean 16; pending 2 then 0 → 1. 01:00 → 4 (+4 pending). 03:00 → 6.
    expect(vision.points).toEqual([
      { atMs: T0, gpusBusy: 16, gpusPending: 1 },
      { atMs: T0 + HOUR, gpusBusy: 4, gpusPending: 4 },
      { atMs: T0 + 3 * HOUR, gpusBusy: 6, gpusPending: 0 },
    ]);
    const speech = series.find((s) => s.key.team === 'speech')!;
    // speech has no row at 00:30 and 03:00 although the file does: 0 there.
    expect(demandOf(speech).map((p) => p.gpus)).toEqual([2, 3, 0]);
  });

  it('turns jobs into GPUs running and pending per step', async () => {
    const trace = await openTraceFile(fixture('jobs.csv'));
    const rows = await jobsToUsage(jobRowsOf(trace), {
      stepMs: HOUR,
      endMs: T0 + 3 * HOUR,
    });
    const vision = rows.filter((r) => r.team === 'vision').map((r) => [r.gpusBusy, r.gpusPending]);
    // j1: waits 00:00–00:30 (8 × ½), runs 00:30–02:00; j3 (2 GPUs) waits from 01:30 to the end.
    expect(vision).toEqual([
      [4, 4],
      [8, 1],
      [0, 2],
    ]);
    const speech = rows.filter((r) => r.team === 'speech').map((r) => r.gpusBusy);
    expect(speech).toEqual([0, 4, 4]);
  });
});
