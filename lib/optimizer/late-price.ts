// How much of the next hour's demand to cover, from what lateness and idle capacity cost: the newsvendor critical ratio.
import type { Pool } from '../domain/pool.ts';
import type { PriceQuote } from '../domain/price.ts';
import { poolServesClass, type WorkloadClass } from '../domain/workload.ts';

/** The share of hours the plan covers is kept in these bounds: the misses it is read from are a week's sample. */
export const COVERAGE_BOUNDS = { min: 0.5, max: 0.995 } as const;

/**
 * The newsvendor critical ratio: a GPU-hour held and not used costs `holdPerGpuHour`; one short is served late
 * on on-demand and costs `latePerGpuHour` (the fill plus the penalty) instead of the hold. Covering the
 * demand's quantile at this ratio minimises the expected sum of the two.
 */
export function criticalRatio(holdPerGpuHour: number, latePerGpuHour: number): number {
  if (!(latePerGpuHour > 0)) return COVERAGE_BOUNDS.min;
  const ratio = 1 - holdPerGpuHour / latePerGpuHour;
  return Math.min(COVERAGE_BOUNDS.max, Math.max(COVERAGE_BOUNDS.min, ratio));
}

export interface LatePricing {
  /** What a GPU-hour of demand served late costs on top of its fill, in on-demand GPU-hours of the class's cheapest pool. */
  latePenaltyMultiplier: number;
}

/**
 * The coverage of one class's next hour: a margin GPU is held as the class may run it (its spot share on the
 * cheapest spot, the rest on the cheapest on-demand); a late GPU-hour is filled on the cheapest on-demand and
 * pays the penalty. Undefined when no pool serving the class has an on-demand price (nothing to fill late with).
 */
export function penaltyPricedCoverage(
  workload: WorkloadClass,
  pools: readonly Pool[],
  prices: readonly PriceQuote[],
  pricing: LatePricing,
): number | undefined {
  const serving = new Map(pools.filter((p) => poolServesClass(p, workload)).map((p) => [p.id, p]));
  const cheapest = (option: PriceQuote['option']) => {
    let best: number | undefined;
    for (const q of prices) {
      const pool = serving.get(q.poolId);
      if (!pool || q.option !== option || pool.gpusPerInstance <= 0) continue;
      const perGpu = Number(q.usdPerHour) / pool.gpusPerInstance;
      if (best === undefined || perGpu < best) best = perGpu;
    }
    return best;
  };
  const onDemand = cheapest('on-demand');
  if (onDemand === undefined) return undefined;
  const spot = cheapest('spot');
  const spotShare = spot === undefined ? 0 : Math.min(1, Math.max(0, workload.spotShare));
  const hold = spotShare * Math.min(spot ?? onDemand, onDemand) + (1 - spotShare) * onDemand;
  return criticalRatio(hold, (1 + pricing.latePenaltyMultiplier) * onDemand);
}
