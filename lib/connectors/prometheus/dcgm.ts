// DCGM exporter series as GPU readings: which labels name the node and GPU, which values mean "no reading", and the 5-minute batches.
import { migPartition, type GpuFraction } from '../../domain/gpu.ts';
import type { GpuReading, GpuSeries, NodeIdentity, UtilizationBatch } from '../../domain/usage.ts';
import { toRfc3339, windowStart } from '../../domain/time.ts';

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

/** dcgm-exporter 1.x names (lower case, before the DCGM_FI_ names of 2.x and later) for the same fields. */
export const DCGM_V1_NAMES: Partial<Record<DcgmField, string>> = {
  DCGM_FI_DEV_GPU_UTIL: 'dcgm_gpu_utilization',
  DCGM_FI_DEV_FB_USED: 'dcgm_fb_used',
  DCGM_FI_DEV_FB_FREE: 'dcgm_fb_free',
  DCGM_FI_DEV_POWER_USAGE: 'dcgm_power_usage',
  DCGM_FI_DEV_GPU_TEMP: 'dcgm_gpu_temp',
};

/** The field a metric name is, in any dcgm-exporter version (1.x to 4.x), or undefined. */
export function dcgmFieldOf(metricName: string): DcgmField | undefined {
  if (metricName in DCGM_FIELDS) return metricName as DcgmField;
  return (Object.keys(DCGM_V1_NAMES) as DcgmField[]).find((f) => DCGM_V1_NAMES[f] === metricName);
}

/** The metric names of a field in every dcgm-exporter version: what a query asks for. */
export function dcgmMetricNames(field: DcgmField): string[] {
  const v1 = DCGM_V1_NAMES[field];
  return v1 ? [field, v1] : [field];
}
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
  return gpuKeyOf(labels, options);
}

/** A MIG instance's series: its parent GPU's key and the instance (id and profile). */
export interface DcgmSliceKey {
  gpu: DcgmGpuKey;
  instanceId: string;
  profile?: string;
}

/**
 * The parent GPU and instance of a per-MIG-slice series (GPU_I_ID set). A GPU in MIG mode may have only these,
 * and must not vanish: its slices are summed back into the one physical GPU.
 */
export function dcgmSliceKey(
  labels: Record<string, string>,
  options: DcgmLabelOptions = {},
): DcgmSliceKey | undefined {
  const instanceId = labels.GPU_I_ID;
  if (instanceId === undefined || instanceId === '') return undefined;
  const gpu = gpuKeyOf(labels, options);
  if (!gpu) return undefined;
  return { gpu, instanceId, ...(labels.GPU_I_PROFILE ? { profile: labels.GPU_I_PROFILE } : {}) };
}

function gpuKeyOf(labels: Record<string, string>, options: DcgmLabelOptions): DcgmGpuKey | undefined {
  const index = Number(labels.gpu);
  // dcgm-exporter 1.x spells the labels uuid and (no model); 2.x and later UUID and modelName.
  const uuid = labels.UUID || labels.uuid;
  if (labels.gpu === undefined || labels.gpu === '' || !Number.isInteger(index) || index < 0 || !uuid)
    return undefined;
  let host: string | undefined;
  for (const name of options.nodeLabels ?? DEFAULT_NODE_LABELS) {
    const value = labels[name];
    if (value) {
      host = name === 'instance' ? value.replace(/:\d+$/, '') : value;
      break;
    }
  }
  if (!host) return undefined;
  return { host, index, uuid, model: labels.modelName || labels.model_name || 'unknown' };
}

type Sample = Partial<Record<ReadingField, number | null>>;

/** Samples of one GPU keyed by time (ms), built up field by field. */
export class DcgmSamples {
  readonly gpus = new Map<string, { key: DcgmGpuKey; samples: Map<number, Sample> }>();
  /** Per-MIG-instance samples by parent GPU, then instance; used for a GPU that has no whole-GPU series. */
  private readonly slices = new Map<
    string,
    Map<string, { share?: GpuFraction; samples: Map<number, Sample> }>
  >();
  private readonly sliceParents = new Map<string, DcgmGpuKey>();

  add(key: DcgmGpuKey, field: DcgmField, atMs: number, value: number | null): void {
    const id = gpuId(key);
    let gpu = this.gpus.get(id);
    if (!gpu) {
      gpu = { key, samples: new Map() };
      this.gpus.set(id, gpu);
    }
    setSample(gpu.samples, atMs, field, value);
  }

  addSlice(key: DcgmSliceKey, field: DcgmField, atMs: number, value: number | null): void {
    const id = gpuId(key.gpu);
    this.sliceParents.set(id, key.gpu);
    const instances = this.slices.get(id) ?? new Map();
    this.slices.set(id, instances);
    let slice = instances.get(key.instanceId);
    if (!slice) {
      const partition = key.profile ? migPartition(key.profile) : undefined;
      slice = { ...(partition ? { share: partition.compute } : {}), samples: new Map() };
      instances.set(key.instanceId, slice);
    }
    setSample(slice.samples, atMs, field, value);
  }

  hosts(): string[] {
    return [...new Set(this.allGpus().map((g) => g.key.host))];
  }

  /**
   * Whole-GPU series, and for a GPU seen only by its MIG instances, the instances summed back into it: memory
   * adds up, activity is weighted by each slice's compute share, power and temperature are the device's.
   */
  private allGpus(): { key: DcgmGpuKey; samples: Map<number, Sample> }[] {
    const out = [...this.gpus.values()];
    for (const [id, instances] of this.slices) {
      if (this.gpus.has(id)) continue;
      const merged = new Map<number, Sample>();
      const count = instances.size;
      for (const { share, samples } of instances.values()) {
        const weight = share ? share.num / share.den : 1 / count;
        for (const [at, s] of samples) {
          const m = merged.get(at) ?? {};
          for (const f of ['memoryUsedMiB', 'memoryFreeMiB'] as const) m[f] = addOrNull(m[f], s[f]);
          for (const f of ['utilizationPct', 'smActivityPct'] as const)
            m[f] = addOrNull(m[f], s[f] === undefined || s[f] === null ? s[f] : s[f]! * weight);
          for (const f of ['powerW', 'temperatureC'] as const)
            if (s[f] !== undefined && s[f] !== null) m[f] = Math.max(m[f] ?? 0, s[f]!);
          merged.set(at, m);
        }
      }
      out.push({ key: this.sliceParents.get(id)!, samples: merged });
    }
    return out;
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
    const gpus = this.allGpus().sort((a, b) => a.key.index - b.key.index);
    for (const { key, samples } of gpus) {
      const node = identify(key.host);
      if (!node) continue;
      const perWindow = new Map<number, [number, Sample][]>();
      for (const entry of [...samples.entries()].sort(([a], [b]) => a - b)) {
        const w = windowStart(entry[0]);
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

function gpuId(key: DcgmGpuKey): string {
  return `${key.host}|${key.index}|${key.uuid}`;
}

function setSample(samples: Map<number, Sample>, atMs: number, field: DcgmField, value: number | null): void {
  const sample = samples.get(atMs) ?? {};
  sample[DCGM_FIELDS[field]] = value;
  samples.set(atMs, sample);
}

/** A sum where a missing reading leaves the sum missing (undefined), and a null one makes it null. */
function addOrNull(a: number | null | undefined, b: number | null | undefined): number | null | undefined {
  if (b === undefined) return a;
  if (b === null || a === null) return null;
  return (a ?? 0) + b;
}
