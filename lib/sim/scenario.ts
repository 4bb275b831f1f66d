// What a simulation replays: hourly demand per workload class, the pools that can serve it, their prices and spot availability.
import type { Pool, PurchaseOption } from '../domain/pool.ts';
import { poolServesClass, type WorkloadClass } from '../domain/workload.ts';

export const SIM_STEP_MS = 3_600_000;

/** Cloud options a simulated pool can be bought under; on-prem pools are owned and sized. */
export type SimOption = Exclude<PurchaseOption, 'on-prem'> | 'on-prem';

export interface SimPool {
  pool: Pool;
  /** Per instance-hour, micro-dollars; an option without a price is not offered in this pool. */
  usdPerHour: Partial<Record<PurchaseOption, bigint>>;
  /** Which price figures are modelled rather than read from a price list (shown in the output). */
  modelled?: Partial<Record<PurchaseOption, boolean>>;
  /** Spot instances the pool can hold in each hour of the run (index = hour); undefined = unlimited. */
  spotAvailable?: readonly number[];
  /** Expected spot interruptions per instance-hour, as the planner sees the risk. */
  spotInterruptionRatePerHour?: number;
}

export interface SimClass {
  workload: WorkloadClass;
  /** GPUs demanded in each hour of the run (busy + pending), index = hour. */
  demandGpus: readonly number[];
}

export interface Scenario {
  name: string;
  /** Epoch ms of hour 0. */
  startMs: number;
  hours: number;
  /** Hours at the start that are history only: every policy sees them, none is billed for them. */
  warmupHours: number;
  pools: readonly SimPool[];
  classes: readonly SimClass[];
  /** Seconds of paid time before a launched instance serves (charged per launch). */
  defaultBootSeconds: number;
  /** What the run assumed, printed with its results: spot share, GPU model and pool mapping, checkpoints. */
  assumptions: string[];
}

export function holdingKey(poolId: string, option: PurchaseOption): string {
  return `${poolId}|${option}`;
}

export function parseHoldingKey(key: string): { poolId: string; option: PurchaseOption } {
  const at = key.lastIndexOf('|');
  return { poolId: key.slice(0, at), option: key.slice(at + 1) as PurchaseOption };
}

/** Instances held per pool and option. */
export type Holdings = Map<string, number>;

export function spotAvailableAt(pool: SimPool, hour: number): number {
  const series = pool.spotAvailable;
  if (!series || series.length === 0) return Number.POSITIVE_INFINITY;
  return series[Math.min(hour, series.length - 1)]!;
}

/** Owned on-prem instances: there, and paid for, whatever a policy decides. */
export function ownedHoldings(scenario: Scenario): Holdings {
  const owned: Holdings = new Map();
  for (const sp of scenario.pools) {
    if (sp.usdPerHour['on-prem'] !== undefined && sp.pool.maxInstances) {
      owned.set(holdingKey(sp.pool.id, 'on-prem'), sp.pool.maxInstances);
    }
  }
  return owned;
}

/** The pool that sells `option` cheapest per GPU among those that may serve a class (first listed on a tie). */
export function cheapestPoolFor(
  pools: readonly SimPool[],
  c: SimClass,
  option: PurchaseOption,
): SimPool | undefined {
  let best: SimPool | undefined;
  let bestPerGpu = Number.POSITIVE_INFINITY;
  for (const p of pools) {
    const price = p.usdPerHour[option];
    if (price === undefined || !poolServesClass(p.pool, c.workload)) continue;
    const perGpu = Number(price) / p.pool.gpusPerInstance;
    if (perGpu < bestPerGpu) {
      best = p;
      bestPerGpu = perGpu;
    }
  }
  return best;
}
