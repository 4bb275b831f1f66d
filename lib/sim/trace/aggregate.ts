// From trace rows to demand series: per (team, pool) at a step, and job rows turned into usage rows.
import type { DemandPoint } from '../../domain/forecast.ts';
import { ANY_LABEL, type JobRow, type UsageRow } from './format.ts';

export interface SeriesKey {
  team: string;
  pool: string;
}

/** One step of a series: mean GPUs busy over the step, and pending where the trace knows the queue. */
export interface UsagePoint {
  atMs: number;
  gpusBusy: number;
  /** null when no row in the step said how many GPUs were waiting. */
  gpusPending: number | null;
}

export interface UsageSeries {
  key: SeriesKey;
  stepMs: number;
  /** Steps in time order; a step in which the file had no row at all is missing (a gap), not zero. */
  points: UsagePoint[];
}

type Rows<T> = AsyncIterable<T> | Iterable<T>;

export function seriesKeyOf(row: Pick<UsageRow, 'team' | 'pool'>): SeriesKey {
  return { team: row.team ?? ANY_LABEL, pool: row.pool ?? ANY_LABEL };
}

export interface AggregateOptions {
  stepMs: number;
  /** Groups rows; the default is (team, pool). Return ANY_LABEL parts to merge over a label. */
  keyOf?: (row: UsageRow) => SeriesKey;
}

/**
 * Aggregates usage rows to a series per key at `stepMs`. Rows of one key and timestamp add up (several GPU
 * models of a team); a coarser step averages over the file's timestamps in it, and a key with no row at a
 * timestamp the file has counts as 0 there (files omit idle teams). Only file-wide missing steps are gaps.
 */
export async function aggregateUsage(
  rows: Rows<UsageRow>,
  options: AggregateOptions,
): Promise<UsageSeries[]> {
  const { stepMs } = options;
  const keyOf = options.keyOf ?? seriesKeyOf;
  const stampsPerStep = new Map<number, Set<number>>();
  const sums = new Map<
    string,
    { key: SeriesKey; steps: Map<number, { busy: number; pending: number | null }> }
  >();
  for await (const row of rows) {
    const step = Math.floor(row.atMs / stepMs) * stepMs;
    let stamps = stampsPerStep.get(step);
    if (!stamps) stampsPerStep.set(step, (stamps = new Set()));
    stamps.add(row.atMs);
    const key = keyOf(row);
    const id = `${key.team}\u0000${key.pool}`;
    let series = sums.get(id);
    if (!series) sums.set(id, (series = { key, steps: new Map() }));
    const cell = series.steps.get(step) ?? { busy: 0, pending: null };
    cell.busy += row.gpusBusy;
    if (row.gpusPending !== undefined) cell.pending = (cell.pending ?? 0) + row.gpusPending;
    series.steps.set(step, cell);
  }
  const steps = [...stampsPerStep.keys()].sort((a, b) => a - b);
  return [...sums.values()]
    .sort((a, b) => a.key.team.localeCompare(b.key.team) || a.key.pool.localeCompare(b.key.pool))
    .map(({ key, steps: cells }) => ({
      key,
      stepMs,
      points: steps.map((atMs) => {
        const n = stampsPerStep.get(atMs)!.size;
        const cell = cells.get(atMs);
        return {
          atMs,
          gpusBusy: (cell?.busy ?? 0) / n,
          gpusPending: cell?.pending === null || cell === undefined ? null : cell.pending / n,
        };
      }),
    }));
}

/** True demand: GPUs busy plus GPUs waiting where the queue is known, busy alone where it is not. */
export function demandOf(series: UsageSeries): DemandPoint[] {
  return series.points.map((p) => ({ atMs: p.atMs, gpus: p.gpusBusy + (p.gpusPending ?? 0) }));
}

/** Adds `amount` spread over [fromMs, toMs) into per-step averages: partial steps get their share. */
function spread(
  steps: Map<number, number>,
  fromMs: number,
  toMs: number,
  amount: number,
  stepMs: number,
): void {
  for (let s = Math.floor(fromMs / stepMs) * stepMs; s < toMs; s += stepMs) {
    const covered = Math.min(toMs, s + stepMs) - Math.max(fromMs, s);
    if (covered > 0) steps.set(s, (steps.get(s) ?? 0) + (amount * covered) / stepMs);
  }
}

export interface JobsToUsageOptions {
  stepMs: number;
  /** The trace's end: a job still running (or still waiting) is counted up to here. */
  endMs: number;
  /** Steps before this are dropped (jobs submitted earlier still count from here). */
  startMs?: number;
}

/**
 * Turns job rows into usage rows per (team, gpu_model) and step: GPUs running averaged over the step from
 * start to end, GPUs pending from submit to start. Jobs never started wait until `endMs`.
 */
export async function jobsToUsage(jobs: Rows<JobRow>, options: JobsToUsageOptions): Promise<UsageRow[]> {
  const { stepMs, endMs } = options;
  const perKey = new Map<
    string,
    { team?: string; gpuModel?: string; busy: Map<number, number>; pending: Map<number, number> }
  >();
  for await (const job of jobs) {
    const id = `${job.team ?? ''}\u0000${job.gpuModel ?? ''}`;
    let entry = perKey.get(id);
    if (!entry) {
      entry = { busy: new Map(), pending: new Map() };
      if (job.team !== undefined) entry.team = job.team;
      if (job.gpuModel !== undefined) entry.gpuModel = job.gpuModel;
      perKey.set(id, entry);
    }
    const startMs = job.startMs ?? endMs;
    spread(entry.pending, job.submitMs, Math.min(startMs, endMs), job.gpus, stepMs);
    if (job.startMs !== null)
      spread(entry.busy, job.startMs, Math.min(job.endMs ?? endMs, endMs), job.gpus, stepMs);
  }
  let firstMs = options.startMs ?? Infinity;
  if (options.startMs === undefined)
    for (const e of perKey.values())
      for (const s of [...e.busy.keys(), ...e.pending.keys()]) firstMs = Math.min(firstMs, s);
  const rows: UsageRow[] = [];
  for (let s = Math.floor(firstMs / stepMs) * stepMs; s < endMs; s += stepMs)
    for (const e of perKey.values()) {
      const row: UsageRow = { atMs: s, gpusBusy: e.busy.get(s) ?? 0, gpusPending: e.pending.get(s) ?? 0 };
      if (e.team !== undefined) row.team = e.team;
      if (e.gpuModel !== undefined) row.gpuModel = e.gpuModel;
      rows.push(row);
    }
  return rows;
}
