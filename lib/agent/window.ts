// Cuts GPU samples into one `GPU Utilization Batch` per node and 5-minute window, split to stay under 256 KB.
import type { Labels } from '../domain/labels.ts';
import { parseRfc3339, toRfc3339, windowStart } from '../domain/time.ts';
import type { GpuProcess, GpuReading, NodeIdentity, UtilizationBatch } from '../domain/usage.ts';
import type { AppRow, GpuRow } from './nvidia-smi.ts';

/** One run of nvidia-smi (and the lookups made with it). */
export interface Sample {
  gpus: readonly GpuRow[];
  apps: readonly AppRow[];
  jobs: ReadonlyMap<number, Labels>;
  lastLoginAt: string | null;
}

/** The schema caps readings per GPU per batch; more than this in a window is a replay denser than 1 s. */
const MAX_READINGS_PER_GPU = 400;

interface GpuWindow {
  index: number;
  uuid: string;
  model: string;
  memoryTotalMiB: number | null;
  readings: GpuReading[];
  processes: Map<number, GpuProcess>;
}

interface OpenWindow {
  startMs: number;
  gpus: Map<string, GpuWindow>;
  lastLoginAt: string | null;
}

export interface BatcherOptions {
  node: NodeIdentity;
  /** Changes with every agent start, so a restarted agent's batch for the same window is a new item. */
  bootId: string;
  sampleIntervalSeconds: number;
}

export interface BatcherStats {
  /** Readings for a window already sent (the clock went back): dropped, since resending would overwrite. */
  lateReadings: number;
  /** Readings beyond the per-GPU cap of one window. */
  excessReadings: number;
}

/** Collects samples and hands back each window's batch once a reading of a later window arrives. */
export class WindowBatcher {
  private open: OpenWindow | undefined;
  private lastClosedMs = -Infinity;
  readonly stats: BatcherStats = { lateReadings: 0, excessReadings: 0 };

  constructor(private readonly options: BatcherOptions) {}

  add(sample: Sample): UtilizationBatch[] {
    const closed: UtilizationBatch[] = [];
    for (const row of sample.gpus) {
      const startMs = windowStart(parseRfc3339(row.at));
      if (startMs <= this.lastClosedMs) {
        this.stats.lateReadings++;
        continue;
      }
      if (this.open && startMs > this.open.startMs) closed.push(...this.flush());
      this.open ??= { startMs, gpus: new Map(), lastLoginAt: null };
      this.addRow(this.open, row);
    }
    if (this.open) this.addApps(this.open, sample);
    return closed;
  }

  /** Hands back the open window's batch (partial when the agent stops inside a window). */
  flush(): UtilizationBatch[] {
    const w = this.open;
    if (!w) return [];
    this.open = undefined;
    this.lastClosedMs = w.startMs;
    return [this.toBatch(w)];
  }

  private addRow(w: OpenWindow, row: GpuRow): void {
    let gpu = w.gpus.get(row.uuid);
    if (!gpu) {
      gpu = {
        index: row.index,
        uuid: row.uuid,
        model: row.model,
        memoryTotalMiB: null,
        readings: [],
        processes: new Map(),
      };
      w.gpus.set(row.uuid, gpu);
    }
    gpu.memoryTotalMiB = row.memoryTotalMiB ?? gpu.memoryTotalMiB;
    if (gpu.readings.length >= MAX_READINGS_PER_GPU) {
      this.stats.excessReadings++;
      return;
    }
    gpu.readings.push({
      at: row.at,
      utilizationPct: clampPct(row.utilizationPct),
      memoryUsedMiB: row.memoryUsedMiB,
      powerW: row.powerW,
      temperatureC: row.temperatureC,
    });
  }

  private addApps(w: OpenWindow, sample: Sample): void {
    for (const app of sample.apps) {
      const gpu = w.gpus.get(app.gpuUuid);
      if (!gpu) continue;
      const had = gpu.processes.get(app.pid);
      const usedMemoryMiB =
        had?.usedMemoryMiB === null || had?.usedMemoryMiB === undefined
          ? app.usedMemoryMiB
          : Math.max(had.usedMemoryMiB, app.usedMemoryMiB ?? 0);
      gpu.processes.set(app.pid, { ...(sample.jobs.get(app.pid) ?? {}), pid: app.pid, usedMemoryMiB });
    }
    if (
      sample.lastLoginAt !== null &&
      (w.lastLoginAt === null || parseRfc3339(sample.lastLoginAt) > parseRfc3339(w.lastLoginAt))
    ) {
      w.lastLoginAt = sample.lastLoginAt;
    }
  }

  private toBatch(w: OpenWindow): UtilizationBatch {
    return {
      schemaVersion: '1',
      node: this.options.node,
      bootId: this.options.bootId,
      windowStart: toRfc3339(w.startMs),
      sampleIntervalSeconds: this.options.sampleIntervalSeconds,
      gpus: [...w.gpus.values()]
        .sort((a, b) => a.index - b.index)
        .map((g) => ({
          index: g.index,
          uuid: g.uuid,
          model: g.model,
          memoryTotalMiB: g.memoryTotalMiB,
          readings: g.readings,
          processes: [...g.processes.values()].sort((a, b) => a.pid - b.pid),
        })),
      ...(w.lastLoginAt !== null ? { lastLoginAt: w.lastLoginAt } : {}),
    };
  }
}

/** Some drivers report a few percent over 100 on a saturated GPU; the schema keeps percentages in [0, 100]. */
function clampPct(value: number | null): number | null {
  return value === null ? null : Math.min(100, Math.max(0, value));
}

/**
 * Splits a batch whose event would be too large into batches over disjoint GPU sets. Each part gets its own
 * boot id suffix, so each is its own rollup item and the read-side merge puts the window back together.
 */
export function splitToFit(
  batch: UtilizationBatch,
  sizeOf: (b: UtilizationBatch) => number,
  maxBytes: number,
): UtilizationBatch[] {
  if (sizeOf(batch) < maxBytes) return [batch];
  if (batch.gpus.length <= 1) {
    throw new RangeError(`one GPU's window is ${sizeOf(batch)} bytes, over the ${maxBytes}-byte event limit`);
  }
  const parts: UtilizationBatch[] = [];
  let current: UtilizationBatch['gpus'] = [];
  const partOf = (gpus: UtilizationBatch['gpus'], k: number): UtilizationBatch => ({
    ...batch,
    bootId: `${batch.bootId}.${k}`,
    gpus,
  });
  for (const gpu of batch.gpus) {
    const tried = [...current, gpu];
    if (current.length > 0 && sizeOf(partOf(tried, parts.length)) >= maxBytes) {
      parts.push(partOf(current, parts.length));
      current = [gpu];
    } else current = tried;
  }
  parts.push(partOf(current, parts.length));
  return parts;
}
