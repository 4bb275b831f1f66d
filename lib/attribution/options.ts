// How attribution prices what has no list price and where idle cost goes: one plain options struct (OpenCost style).
import { z } from 'zod';
import { zId, zMicroUsd } from '../domain/fields.ts';
import { GPU_SHARE_BASES } from '../domain/gpu.ts';

export const zCommitment = z.object({
  poolId: zId,
  /** Instances the commitment pays for every hour, used or not. */
  instances: z.number().int().min(1),
  /** Amortized cost of one committed instance-hour (upfront spread over the term, plus the hourly fee). */
  usdPerHour: zMicroUsd,
  /** Who carries the unused part when no committed instance ran in the hour. */
  team: zId.optional(),
});
export type Commitment = z.infer<typeof zCommitment>;

export const zAttributionOptions = z.object({
  /**
   * separate: idle cost is its own `__idle__` line per node, owned by the node's team;
   * spread: idle cost of a node goes to the jobs that ran on it, by their GPU-seconds (own line when none ran).
   */
  shareIdle: z.enum(['separate', 'spread']).default('separate'),
  /** On-prem cost of owning and running one GPU for an hour (hardware, power, cooling), by pool or for all. */
  onPremUsdPerGpuHour: z
    .object({ default: zMicroUsd.optional(), byPool: z.record(z.string(), zMicroUsd).default({}) })
    .default({ byPool: {} }),
  commitments: z.array(zCommitment).default([]),
  /**
   * How a shared GPU's hour is split among its MIG slices, vGPUs or time-sliced replicas: by compute (a 1g.10gb
   * slice of an H100 is 1/7) or by memory (1/8).
   */
  gpuShareBasis: z.enum(GPU_SHARE_BASES).default('compute'),
});
export type AttributionOptions = z.infer<typeof zAttributionOptions>;
export type AttributionOptionsWire = z.input<typeof zAttributionOptions>;

export const DEFAULT_ATTRIBUTION_OPTIONS: AttributionOptions = zAttributionOptions.parse({});
