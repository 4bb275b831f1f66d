// What a simulation replays: hourly demand per workload class, the pools that can serve it, their prices and spot availability.
import { poolOptionKey, type Pool, type PurchaseOption } from '../domain/pool.ts';
import { poolServesClass, type WorkloadClass } from '../domain/workload.ts';

export const SIM_STEP_MS = 3_600_000;

/** Cloud options a simulated pool can be bought under; on-prem pools are owned and sized. */
export type SimOption = Exclude<PurchaseOption, 'on-prem'> | 'on-prem';

/** A pool as a policy may see it in one hour: its prices now, never its future. */
export interface PricedPool {
  pool: Pool;
  /** Per instance-hour, micro-dollars; an option without a price is not offered in this pool. */
  usdPerHour: Partial<Record<PurchaseOption, bigint>>;
  /** Which price figures are modelled rather than read from a price list (shown in the output). */
  modelled?: Partial<Record<PurchaseOption, boolean>>;
  /** Expected spot interruptions per instance-hour, as the planner sees the risk. */
  spotInterruptionRatePerHour?: number;
}

export interface SimPool extends PricedPool {
  /** Spot instances the pool can hold in each hour of the run (index = hour); undefined = unlimited. */
  spotAvailable?: readonly number[];
  /** The spot price in each hour of the run (index = hour); undefined = `usdPerHour.spot` every hour. */
  spotUsdPerHourSeries?: readonly bigint[];
}

export interface SimClass {
  workload: WorkloadClass;
  /** GPUs demanded in each hour of the run (busy + pending), index = hour. */
  demandGpus: readonly number[];
}

/**
 * How teams hold capacity: `shared` — the teams' work is packed onto a pool's instances, as on a Kubernetes or
 * Slurm node pool; `dedicated` — each team holds whole instances of its own (virtual clusters with quotas).
 */
export type Sharing = 'shared' | 'dedicated';

/** What the hour's service rule needs: the pools and who may use them (no demand). */
export interface Fleetscape {
  pools: readonly PricedPool[];
  classes: readonly { workload: WorkloadClass }[];
  sharing?: Sharing;
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
  /**
   * A late GPU-hour costs this many on-demand GPU-hours of the class's cheapest on-demand pool on top of the
   * bill (default 1): the headline is the penalized cost, bill + penalty × late GPU-hours.
   */
  latePenaltyMultiplier?: number;
  /** Whether teams share a pool's instances (default) or hold dedicated ones; every policy applies it. */
  sharing?: Sharing;
}

export const DEFAULT_LATE_PENALTY_MULTIPLIER = 1;

export function latePenaltyMultiplier(scenario: { latePenaltyMultiplier?: number }): number {
  return scenario.latePenaltyMultiplier ?? DEFAULT_LATE_PENALTY_MULTIPLIER;
}

/** The penalty of one late GPU-hour of a class, micro-dollars (a float: it multiplies fractional GPU-hours). */
export function latePenaltyPerGpuHour(
  scenario: { pools: readonly PricedPool[]; latePenaltyMultiplier?: number },
  c: { workload: WorkloadClass },
): number {
  const fill = cheapestPoolFor(scenario.pools, c, 'on-demand');
  if (!fill) return 0;
  return (
    (latePenaltyMultiplier(scenario) * Number(fill.usdPerHour['on-demand']!)) / fill.pool.gpusPerInstance
  );
}

/** The price of an option in a pool in one hour: spot follows the pool's series where it has one. */
export function priceAt(pool: SimPool, option: PurchaseOption, hour: number): bigint | undefined {
  if (option === 'spot' && pool.spotUsdPerHourSeries && pool.spotUsdPerHourSeries.length > 0) {
    if (pool.usdPerHour.spot === undefined) return undefined;
    const series = pool.spotUsdPerHourSeries;
    return series[Math.min(Math.max(0, hour), series.length - 1)]!;
  }
  return pool.usdPerHour[option];
}

/** The pool as a policy sees it in `hour`: prices in effect now, no availability or prices to come. */
export function pricedAt(pool: SimPool, hour: number): PricedPool {
  const spot = priceAt(pool, 'spot', hour);
  return {
    pool: pool.pool,
    usdPerHour: { ...pool.usdPerHour, ...(spot !== undefined ? { spot } : {}) },
    ...(pool.modelled ? { modelled: pool.modelled } : {}),
    ...(pool.spotInterruptionRatePerHour !== undefined
      ? { spotInterruptionRatePerHour: pool.spotInterruptionRatePerHour }
      : {}),
  };
}

/** Holdings are keyed by pool and option with the domain's one key. */
export { poolOptionKey as holdingKey, parsePoolOptionKey as parseHoldingKey } from '../domain/pool.ts';

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
      owned.set(poolOptionKey(sp.pool.id, 'on-prem'), sp.pool.maxInstances);
    }
  }
  return owned;
}

/** The pool that sells `option` cheapest per GPU among those that may serve a class (first listed on a tie). */
export function cheapestPoolFor<P extends PricedPool>(
  pools: readonly P[],
  c: { workload: WorkloadClass },
  option: PurchaseOption,
): P | undefined {
  let best: P | undefined;
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
