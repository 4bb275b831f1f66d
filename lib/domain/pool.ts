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

/** Pool ids hold no `|` (they are joined with `:`), so the last one in a key separates pool and option. */
const POOL_OPTION_SEPARATOR = '|';

/**
 * The key of a pool × purchase option: what a plan decides, a price is quoted for and a node is bought as.
 * The one definition; maps keyed by pool and option use it.
 */
export function poolOptionKey(poolId: string, option: string): string {
  return `${poolId}${POOL_OPTION_SEPARATOR}${option}`;
}

export class PoolOptionKeyError extends Error {
  constructor(readonly key: string) {
    super(
      `invalid pool-option key ${JSON.stringify(key)}: expected <pool id>|<purchase option>, like "aws:us-east-1:us-east-1a:p4d.24xlarge|spot"`,
    );
    this.name = 'PoolOptionKeyError';
  }
}

/** The pool and purchase option of a key made by poolOptionKey; throws PoolOptionKeyError on any other text. */
export function parsePoolOptionKey(key: string): { poolId: string; option: PurchaseOption } {
  const at = key.lastIndexOf(POOL_OPTION_SEPARATOR);
  const option = key.slice(at + 1);
  // A plain lookup, not zod: the simulator parses keys of every holding every hour.
  if (at <= 0 || !isPurchaseOption(option)) throw new PoolOptionKeyError(key);
  return { poolId: key.slice(0, at), option };
}

const isPurchaseOption = (text: string): text is PurchaseOption =>
  (PURCHASE_OPTIONS as readonly string[]).includes(text);

export function interconnectAtLeast(have: Interconnect, need: Interconnect): boolean {
  return INTERCONNECTS.indexOf(have) >= INTERCONNECTS.indexOf(need);
}
