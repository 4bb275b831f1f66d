// Carries attributed cost up to job, user, project or team, and checks an hour against the fleet's cost.
import type { AttributionRow } from '../domain/attribution.ts';
import type { MicroUsd } from '../domain/money.ts';

export type RollupKey = 'x_JobId' | 'x_User' | 'x_Project' | 'x_Team' | 'x_PoolId' | 'ResourceId';

export interface CostTotal {
  key: string;
  effectiveUsd: MicroUsd;
  listUsd: MicroUsd;
  gpuSeconds: number;
  /** Physical GPU-hours: a MIG slice, vGPU or time-sliced replica counts as its share of one GPU (1g.10gb of an H100: 1/7). */
  gpuHours: number;
  /** The part of gpuHours spent on shared GPUs (MIG, vGPU, time-slicing): each owner's fractional use. */
  sharedGpuHours: number;
}

/** An owner's GPU use in words: "12.5 GPU-h, 3.1 on shared GPUs" (MIG slices, vGPUs, time-sliced replicas). */
export function gpuUseText(total: Pick<CostTotal, 'gpuHours' | 'sharedGpuHours'>): string {
  const hours = (h: number) =>
    h.toLocaleString('en-US', { maximumFractionDigits: 1, minimumFractionDigits: 1 });
  return total.sharedGpuHours > 0
    ? `${hours(total.gpuHours)} GPU-h, ${hours(total.sharedGpuHours)} on shared GPUs`
    : `${hours(total.gpuHours)} GPU-h`;
}

/** Totals by one owner column, largest effective cost first. */
export function totalsBy(rows: readonly AttributionRow[], by: RollupKey): CostTotal[] {
  const totals = new Map<string, CostTotal>();
  for (const r of rows) {
    const key = r[by];
    const t = totals.get(key) ?? {
      key,
      effectiveUsd: 0n,
      listUsd: 0n,
      gpuSeconds: 0,
      gpuHours: 0,
      sharedGpuHours: 0,
    };
    t.effectiveUsd += r.EffectiveCost;
    t.listUsd += r.ListCost;
    t.gpuSeconds += r.x_GpuSeconds;
    t.gpuHours += r.x_GpuSeconds / 3600;
    if (r.Tags['gpu-partition']) t.sharedGpuHours += r.x_GpuSeconds / 3600;
    totals.set(key, t);
  }
  return [...totals.values()].sort((a, b) =>
    a.effectiveUsd === b.effectiveUsd ? (a.key < b.key ? -1 : 1) : a.effectiveUsd > b.effectiveUsd ? -1 : 1,
  );
}
