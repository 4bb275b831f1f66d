// GPU samples as the agent reports them, and the 5-minute window rollups ingest keeps of them.
import { z } from 'zod';
import { zCount, zId, zNonNegative, zPercent, zTimestamp } from './fields.ts';
import { MAX_GPUS_PER_NODE, zKeyId, zNodeId } from './fleet.ts';
import { zLabels } from './labels.ts';
import { zProvider } from './pool.ts';
import { isFactTime, isRfc3339, parseRfc3339, toRfc3339, WINDOW_SECONDS, windowStart } from './time.ts';

// Bounds that keep every batch storable: DynamoDB numbers go through JavaScript's safe integers, and keys
// are at most 1 KB. Each is far beyond what hardware reports, so only a broken producer meets one.

/** GPU memory in MiB: 1 TiB, more than three times the largest GPU of 2026 (288 GB). */
export const MAX_GPU_MEMORY_MIB = 1024 * 1024;
/** Power in watts: 10 kW, more than three times a whole GB200 superchip. */
export const MAX_GPU_POWER_W = 10_000;
/** Linux process ids fit in 32 bits. */
export const MAX_PID = 2 ** 32 - 1;
/** An agent's boot id goes into a rollup's key; the agent writes a 36-character UUID. */
export const MAX_BOOT_ID_LENGTH = 128;

/** The time of a fact (a reading, a window): an RFC 3339 time from 2000 to 2200. */
export const zFactTime = zTimestamp.refine((t) => !isRfc3339(t) || isFactTime(parseRfc3339(t)), {
  message: 'expected a time from 2000-01-01 to 2200-01-01',
});

/** A utilization at or above this counts the GPU busy for the sample; below it is noise of an idle GPU. */
export const BUSY_UTILIZATION_PCT = 1;

/** One reading of one GPU. `null` is what nvidia-smi answers as [N/A] or [Not Supported]. */
export const zGpuReading = z.object({
  at: zFactTime,
  utilizationPct: zPercent.nullable(),
  memoryUsedMiB: zNonNegative.max(MAX_GPU_MEMORY_MIB).nullable(),
  powerW: zNonNegative.max(MAX_GPU_POWER_W).nullable(),
  temperatureC: z.number().finite().min(-50).max(200).nullable(),
  smActivityPct: zPercent.nullable().optional(),
});
export type GpuReading = z.infer<typeof zGpuReading>;

export const zGpuProcess = zLabels.extend({
  pid: z.number().int().min(0).max(MAX_PID),
  usedMemoryMiB: zNonNegative.max(MAX_GPU_MEMORY_MIB).nullable(),
});
export type GpuProcess = z.infer<typeof zGpuProcess>;

export const zGpuSeries = z.object({
  index: z.number().int().min(0).max(255),
  uuid: zId,
  model: zId,
  memoryTotalMiB: zNonNegative.max(MAX_GPU_MEMORY_MIB).nullable(),
  readings: z.array(zGpuReading).max(400),
  processes: z.array(zGpuProcess).max(256).default([]),
});
export type GpuSeries = z.infer<typeof zGpuSeries>;

export const zNodeIdentity = z.object({
  nodeId: zNodeId,
  provider: zProvider,
  region: zId,
  zone: zId,
  instanceType: zId,
  poolId: zId,
  labels: zLabels.default({}),
});
export type NodeIdentity = z.infer<typeof zNodeIdentity>;

/** One node's samples over one window: the detail of the `GPU Utilization Batch` event. */
export const zUtilizationBatch = z.object({
  schemaVersion: z.literal('1'),
  node: zNodeIdentity,
  /** Changes when the agent restarts; a restart inside a window yields a second, partial batch. */
  bootId: zKeyId.max(MAX_BOOT_ID_LENGTH),
  windowStart: zFactTime,
  sampleIntervalSeconds: z.number().min(1).max(WINDOW_SECONDS),
  gpus: z.array(zGpuSeries).max(MAX_GPUS_PER_NODE),
  lastLoginAt: zFactTime.nullable().optional(),
});
export type UtilizationBatch = z.infer<typeof zUtilizationBatch>;

/** The event id of a batch: the same batch redelivered gets the same id, a restarted agent a new one. */
export function batchEventId(batch: Pick<UtilizationBatch, 'node' | 'bootId' | 'windowStart'>): string {
  return `${batch.bootId}@${batch.windowStart}`;
}

export const zGpuRollup = z.object({
  index: z.number().int().min(0),
  uuid: zId,
  model: zId,
  sampleCount: zCount,
  sampledSeconds: zNonNegative,
  busySeconds: zNonNegative,
  utilizationMinPct: zPercent.nullable(),
  utilizationMeanPct: zPercent.nullable(),
  utilizationMaxPct: zPercent.nullable(),
  smActivityMeanPct: zPercent.nullable(),
  memoryUsedMaxMiB: zNonNegative.nullable(),
  memoryTotalMiB: zNonNegative.nullable(),
  energyJoules: zNonNegative,
  processCount: zCount,
});
export type GpuRollup = z.infer<typeof zGpuRollup>;

export const zJobShare = zLabels.extend({ jobId: zId, gpuSeconds: zNonNegative });
export type JobShare = z.infer<typeof zJobShare>;

/** What ingest keeps of one batch: one item per (node, window, event id). */
export const zWindowRollup = z.object({
  node: zNodeIdentity,
  windowStart: zTimestamp,
  eventId: zId,
  gpus: z.array(zGpuRollup),
  jobs: z.array(zJobShare),
  lastLoginAt: zTimestamp.nullable().optional(),
});
export type WindowRollup = z.infer<typeof zWindowRollup>;

function meanOf(values: number[]): number | null {
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}

function jobKey(p: { jobId?: string | undefined; pid: number }): string | undefined {
  return p.jobId;
}

/** Rolls one batch up into its window item: per-GPU figures and busy GPU-seconds per job. */
export function rollupBatch(batch: UtilizationBatch): WindowRollup {
  const interval = batch.sampleIntervalSeconds;
  const jobs = new Map<string, { share: JobShare }>();
  const gpus = batch.gpus.map((gpu): GpuRollup => {
    const utils = gpu.readings.map((r) => r.utilizationPct).filter((u): u is number => u !== null);
    const sms = gpu.readings
      .map((r) => r.smActivityPct)
      .filter((u): u is number => u !== null && u !== undefined);
    const mems = gpu.readings.map((r) => r.memoryUsedMiB).filter((u): u is number => u !== null);
    const busyCount = gpu.readings.filter(
      (r) =>
        (r.utilizationPct ?? 0) >= BUSY_UTILIZATION_PCT || (r.smActivityPct ?? 0) >= BUSY_UTILIZATION_PCT,
    ).length;
    const busySeconds = busyCount * interval;
    const energyJoules = gpu.readings.reduce((e, r) => e + (r.powerW ?? 0) * interval, 0);

    // Busy time of a GPU goes to the jobs whose processes hold it, by the memory each holds.
    const holders = gpu.processes.filter((p) => jobKey(p) !== undefined);
    const memoryWeights = holders.map((p) => Math.max(p.usedMemoryMiB ?? 0, 1));
    const weightSum = memoryWeights.reduce((a, b) => a + b, 0);
    holders.forEach((p, i) => {
      const key = jobKey(p)!;
      const entry = jobs.get(key) ?? {
        share: { jobId: key, user: p.user, project: p.project, team: p.team, gpuSeconds: 0 },
      };
      entry.share.gpuSeconds += (busySeconds * memoryWeights[i]!) / weightSum;
      jobs.set(key, entry);
    });

    return {
      index: gpu.index,
      uuid: gpu.uuid,
      model: gpu.model,
      sampleCount: gpu.readings.length,
      sampledSeconds: gpu.readings.length * interval,
      busySeconds,
      utilizationMinPct: utils.length ? Math.min(...utils) : null,
      utilizationMeanPct: meanOf(utils),
      utilizationMaxPct: utils.length ? Math.max(...utils) : null,
      smActivityMeanPct: meanOf(sms),
      memoryUsedMaxMiB: mems.length ? Math.max(...mems) : null,
      memoryTotalMiB: gpu.memoryTotalMiB,
      energyJoules,
      processCount: gpu.processes.length,
    };
  });
  return {
    node: batch.node,
    windowStart: batch.windowStart,
    eventId: batchEventId(batch),
    gpus,
    jobs: [...jobs.values()].map((j) => j.share),
    lastLoginAt: batch.lastLoginAt ?? null,
  };
}

function weightedMean(parts: { value: number | null; weight: number }[]): number | null {
  const known = parts.filter((p): p is { value: number; weight: number } => p.value !== null && p.weight > 0);
  const w = known.reduce((a, p) => a + p.weight, 0);
  return w === 0 ? null : known.reduce((a, p) => a + p.value * p.weight, 0) / w;
}

function maxOrNull(values: (number | null)[]): number | null {
  const known = values.filter((v): v is number => v !== null);
  return known.length ? Math.max(...known) : null;
}

function minOrNull(values: (number | null)[]): number | null {
  const known = values.filter((v): v is number => v !== null);
  return known.length ? Math.min(...known) : null;
}

function laterOf(a: string | null | undefined, b: string | null | undefined): string | null {
  if (!a) return b ?? null;
  if (!b) return a;
  return parseRfc3339(a) >= parseRfc3339(b) ? a : b;
}

/**
 * Merges the partial rollups of one node and window (an agent that restarted inside the window sends two)
 * into one view. Reads merge; writes never do, so a redelivered batch cannot count twice.
 */
export function mergeRollups(parts: readonly WindowRollup[]): WindowRollup {
  if (parts.length === 0) throw new RangeError('nothing to merge');
  const first = parts[0]!;
  if (parts.length === 1) return first;
  const byGpu = new Map<number, GpuRollup[]>();
  for (const p of parts) for (const g of p.gpus) byGpu.set(g.index, [...(byGpu.get(g.index) ?? []), g]);
  const gpus = [...byGpu.entries()]
    .sort(([a], [b]) => a - b)
    .map(([index, gs]): GpuRollup => {
      const g0 = gs[0]!;
      return {
        index,
        uuid: g0.uuid,
        model: g0.model,
        sampleCount: gs.reduce((a, g) => a + g.sampleCount, 0),
        sampledSeconds: Math.min(
          WINDOW_SECONDS,
          gs.reduce((a, g) => a + g.sampledSeconds, 0),
        ),
        busySeconds: Math.min(
          WINDOW_SECONDS,
          gs.reduce((a, g) => a + g.busySeconds, 0),
        ),
        utilizationMinPct: minOrNull(gs.map((g) => g.utilizationMinPct)),
        utilizationMeanPct: weightedMean(
          gs.map((g) => ({ value: g.utilizationMeanPct, weight: g.sampleCount })),
        ),
        utilizationMaxPct: maxOrNull(gs.map((g) => g.utilizationMaxPct)),
        smActivityMeanPct: weightedMean(
          gs.map((g) => ({ value: g.smActivityMeanPct, weight: g.sampleCount })),
        ),
        memoryUsedMaxMiB: maxOrNull(gs.map((g) => g.memoryUsedMaxMiB)),
        memoryTotalMiB: maxOrNull(gs.map((g) => g.memoryTotalMiB)),
        energyJoules: gs.reduce((a, g) => a + g.energyJoules, 0),
        processCount: Math.max(...gs.map((g) => g.processCount)),
      };
    });
  const jobs = new Map<string, JobShare>();
  for (const p of parts)
    for (const j of p.jobs) {
      const have = jobs.get(j.jobId);
      jobs.set(j.jobId, have ? { ...have, gpuSeconds: have.gpuSeconds + j.gpuSeconds } : { ...j });
    }
  return {
    node: first.node,
    windowStart: first.windowStart,
    eventId: parts
      .map((p) => p.eventId)
      .sort()
      .join('+'),
    gpus,
    jobs: [...jobs.values()],
    lastLoginAt: parts.reduce<string | null>((a, p) => laterOf(a, p.lastLoginAt), null),
  };
}

/** Groups rollups by (node, window) and merges each group. */
export function mergeByNodeWindow(rollups: readonly WindowRollup[]): WindowRollup[] {
  const groups = new Map<string, WindowRollup[]>();
  for (const r of rollups) {
    const key = `${r.node.nodeId}|${parseRfc3339(r.windowStart)}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()].map(mergeRollups);
}

/** The window label of an instant, for building batches. */
export function windowLabel(ms: number): string {
  return toRfc3339(windowStart(ms));
}
