// Pools (where capacity comes from) and purchase options (how it is bought).
import { z } from 'zod';
import { zCount, zId, zNonNegative } from './fields.ts';
import { zGpuPartition } from './gpu.ts';

export const PURCHASE_OPTIONS = ['on-prem', 'reserved', 'spot', 'on-demand'] as const;
export const zPurchaseOption = z.enum(PURCHASE_OPTIONS);
export type PurchaseOption = z.infer<typeof zPurchaseOption>;

export const PROVIDERS = ['aws', 'gcp', 'azure', 'onprem', 'slurm', 'kubernetes', 'sim'] as const;
export const zProvider = z.enum(PROVIDERS);
export type Provider = z.infer<typeof zProvider>;

/** How GPUs inside an instance talk; a class may require the faster ones. Ordered slowest first. */
export const INTERCONNECTS = ['pcie', 'nvlink', 'nvswitch'] as const;
export const zInterconnect = z.enum(INTERCONNECTS);
export type Interconnect = z.infer<typeof zInterconnect>;

/**
 * A pool: provider × region × zone × instance type (on-prem: cluster × partition × node type), with the
 * GPU it carries. It says nothing of how capacity is bought; that is the purchase option.
 */
export const zPool = z.object({
  id: zId,
  provider: zProvider,
  region: zId,
  zone: zId,
  instanceType: zId,
  gpuModel: zId,
  gpusPerInstance: z.number().int().min(1).max(64),
  gpuMemoryGiB: zNonNegative,
  interconnect: zInterconnect,
  /** When the pool's GPUs are shared (MIG, vGPU, time-slicing): gpuModel and gpusPerInstance stay physical. */
  gpuPartition: zGpuPartition.optional(),
  /** Seconds from launch request to a node that can take work. */
  bootSeconds: zNonNegative.default(300),
  /** On-prem pools have a fixed size; clouds have none (undefined = limited only by availability). */
  maxInstances: zCount.optional(),
});
export type Pool = z.infer<typeof zPool>;
export type PoolInput = z.input<typeof zPool>;

/** The canonical pool id: provider:region:zone:instanceType. */
export function poolId(provider: string, region: string, zone: string, instanceType: string): string {
  return `${provider}:${region}:${zone}:${instanceType}`;
}

/**
 * The key of a pool × purchase option: what a plan decides, a price is quoted for and a node is bought as.
 * The one definition; maps keyed by pool and option use it.
 */
export function poolOptionKey(poolId: string, option: string): string {
  return `${poolId}|${option}`;
}

export function interconnectAtLeast(have: Interconnect, need: Interconnect): boolean {
  return INTERCONNECTS.indexOf(have) >= INTERCONNECTS.indexOf(need);
}
