// Workload classes: what demand is forecast and planned for, and which pools may serve it.
import { z } from 'zod';
import { zId, zNonNegative } from './fields.ts';
import { interconnectAtLeast, zInterconnect, type Pool } from './pool.ts';

export const zWorkloadClass = z.object({
  id: zId,
  team: zId,
  project: zId.optional(),
  minGpuMemoryGiB: zNonNegative.default(0),
  interconnect: zInterconnect.default('pcie'),
  /** Empty = any GPU model that meets the memory and interconnect needs. */
  allowedGpuModels: z.array(zId).default([]),
  /** The share of this class's demand that may run on spot capacity, 0..1. */
  spotShare: z.number().min(0).max(1).default(0),
  /** Work lost on a spot interruption is at most this much (the last checkpoint). */
  checkpointIntervalMinutes: zNonNegative.default(60),
});
export type WorkloadClass = z.infer<typeof zWorkloadClass>;
export type WorkloadClassInput = z.input<typeof zWorkloadClass>;

/** Whether a pool's GPUs meet a class's requirements (memory, interconnect, allowed models). */
export function poolServesClass(pool: Pool, workload: WorkloadClass): boolean {
  if (pool.gpuMemoryGiB < workload.minGpuMemoryGiB) return false;
  if (!interconnectAtLeast(pool.interconnect, workload.interconnect)) return false;
  if (workload.allowedGpuModels.length > 0 && !workload.allowedGpuModels.includes(pool.gpuModel))
    return false;
  return true;
}

/** The GPU requirement a class is served by: classes with the same one can share a pool, so their risk pools. */
export function requirementOf(workload: WorkloadClass): string {
  const models = [...workload.allowedGpuModels].sort();
  return [
    `${workload.minGpuMemoryGiB}GiB`,
    workload.interconnect,
    ...(models.length > 0 ? [models.join('+')] : []),
  ].join('-');
}
