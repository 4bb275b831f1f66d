// DCGM exporter series as GPU readings: which labels name the node and GPU, which values mean "no reading", and the 5-minute batches.
import type { GpuReading, GpuSeries, NodeIdentity, UtilizationBatch } from '../../domain/usage.ts';
import { toRfc3339, WINDOW_MS } from '../../domain/time.ts';

/** The DCGM fields read, and where each goes in a reading. */
export const DCGM_FIELDS = {
  DCGM_FI_DEV_GPU_UTIL: 'utilizationPct',
  DCGM_FI_DEV_FB_USED: 'memoryUsedMiB',
  DCGM_FI_DEV_FB_FREE: 'memoryFreeMiB',
  DCGM_FI_DEV_POWER_USAGE: 'powerW',
  DCGM_FI_DEV_GPU_TEMP: 'temperatureC',
  /** A 0..1 ratio; readings hold percent. */
  DCGM_FI_PROF_SM_ACTIVE: 'smActivityPct',
} as const;
export type DcgmField = keyof typeof DCGM_FIELDS;
type ReadingField = (typeof DCGM_FIELDS)[DcgmField];

/**
 * DCGM reports "blank" (no value) as sentinels near 2^63 (DCGM_INT64_BLANK = 0x7ffffffffffffff0 and the
 * codes just above it), and 2^31-range ones for 32-bit fields; the exporter prints them as numbers.
 */
/** 2^63 − 16, rounded to the nearest double (a float compare is all that is needed). */
const DCGM_BLANK_INT64 = 2 ** 63 - 16;
const DCGM_BLANK_INT32 = 2147483632;

/** The value of a sample, or null when DCGM or Prometheus says there is none. */
export function dcgmValue(field: DcgmField, text: string): number | null {
  const value = Number(text);
  if (!Number.isFinite(value)) return null;
  if (value >= DCGM_BLANK_INT64 || (value >= DCGM_BLANK_INT32 && value < DCGM_BLANK_INT32 + 16)) return null;
  if (value < 0) return null;
  switch (DCGM_FIELDS[field]) {
    case 'utilizationPct':
      return value <= 100 ? value : null;
    case 'smActivityPct':
      return value <= 1 ? value * 100 : null;
    case 'temperatureC':
      return value <= 200 ? value : null;
    default:
      return value;
  }
}

export interface DcgmGpuKey {
  host: string;
  index: number;
  uuid: string;
  model: string;
}

export interface DcgmLabelOptions {
  /** Labels that name the node, first present wins; default Hostname, then Kubernetes' node labels, then instance. */
  nodeLabels?: readonly string[];
}

export const DEFAULT_NODE_LABELS = ['Hostname', 'kubernetes_node', 'node', 'instance'] as const;

/**
 * Which node and GPU a series is about, or undefined for series that are not one whole GPU: MIG instances
 * (GPU_I_ID) repeat their parent's device figures, and series without gpu/UUID labels are exporter metadata.
 */
export function dcgmGpuKey(
  labels: Record<string, string>,
  options: DcgmLabelOptions = {},
): DcgmGpuKey | undefined {
  if (labels.GPU_I_ID !== undefined && labels.GPU_I_ID !== '') return undefined;
  const index = Number(labels.gpu);
  const uuid = labels.UUID;
  if (!Number.isInteger(index) || index < 0 || !uuid) return undefined;
  let host: string | undefined;
  for (const name of options.nodeLabels ?? DEFAULT_NODE_LABELS) {
    const value = labels[name];
    if (value) {
      host = name === 'instance' ? value.replace(/:\d+$/, '') : value;
      break;
    }
  }
  if (!host) return undefined;
  return { host, index, uuid, model: labels.modelName || 'unknown' };
}

type Sample = Partial<Record<ReadingField, number | null>>;

/** Samples of one GPU keyed by time (ms), built up field by field. */
export class DcgmSamples {
  readonly gpus = new Map<string, { key: DcgmGpuKey; samples: Map<number, Sample> }>();

  add(key: DcgmGpuKey, field: DcgmField, atMs: number, value: number | null): void {
    const id = `${key.host}|${key.index}|${key.uuid}`;
    let gpu = this.gpus.get(id);
    if (!gpu) {
      gpu = { key, samples: new Map() };
      this.gpus.set(id, gpu);
    }
    const sample = gpu.samples.get(atMs) ?? {};
    sample[DCGM_FIELDS[field]] = value;
    gpu.samples.set(atMs, sample);
  }

  hosts(): string[] {
    return [...new Set([...this.gpus.values()].map((g) => g.key.host))];
  }

  /**
   * One batch per node and 5-minute window that has samples. The boot id is fixed per source, so a batch
   * read again (the next poll overlaps) gets the same event id and rewrites its own rollup.
   */
  batches(
    identify: (host: string) => NodeIdentity | undefined,
    bootId: string,
    intervalSeconds: number,
  ): UtilizationBatch[] {
    const byNodeWindow = new Map<string, { node: NodeIdentity; windowStart: number; gpus: GpuSeries[] }>();
    const gpus = [...this.gpus.values()].sort((a, b) => a.key.index - b.key.index);
    for (const { key, samples } of gpus) {
      const node = identify(key.host);
      if (!node) continue;
      const perWindow = new Map<number, [number, Sample][]>();
      for (const entry of [...samples.entries()].sort(([a], [b]) => a - b)) {
        const w = Math.floor(entry[0] / WINDOW_MS) * WINDOW_MS;
        perWindow.set(w, [...(perWindow.get(w) ?? []), entry]);
      }
      for (const [w, entries] of perWindow) {
        const readings: GpuReading[] = entries.map(([at, s]) => ({
          at: toRfc3339(at),
          utilizationPct: s.utilizationPct ?? null,
          memoryUsedMiB: s.memoryUsedMiB ?? null,
          powerW: s.powerW ?? null,
          temperatureC: s.temperatureC ?? null,
          ...(s.smActivityPct !== undefined ? { smActivityPct: s.smActivityPct } : {}),
        }));
        const withTotal = entries.filter(
          ([, s]) => typeof s.memoryUsedMiB === 'number' && typeof s.memoryFreeMiB === 'number',
        );
        const last = withTotal[withTotal.length - 1]?.[1];
        const id = `${node.nodeId}|${w}`;
        const batch = byNodeWindow.get(id) ?? { node, windowStart: w, gpus: [] };
        batch.gpus.push({
          index: key.index,
          uuid: key.uuid,
          model: key.model,
          memoryTotalMiB: last ? last.memoryUsedMiB! + last.memoryFreeMiB! : null,
          readings,
          processes: [],
        });
        byNodeWindow.set(id, batch);
      }
    }
    return [...byNodeWindow.values()]
      .sort((a, b) => a.windowStart - b.windowStart || a.node.nodeId.localeCompare(b.node.nodeId))
      .map((b) => ({
        schemaVersion: '1' as const,
        node: b.node,
        bootId,
        windowStart: toRfc3339(b.windowStart),
        sampleIntervalSeconds: intervalSeconds,
        gpus: b.gpus,
      }));
  }
}
