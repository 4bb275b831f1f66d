// The oracle: the cheapest fleet with perfect foresight of demand and spot availability under physical limits only, a true floor for any plan.
import { sumUsd, type MicroUsd } from '../domain/money.ts';
import { HOUR_MS } from '../domain/time.ts';
import { planCapacity, type PlannerInput, type PlannerSettings } from './planner/index.ts';
import { HOURLY_LAYOUT } from './planner/periods.ts';

export interface OracleInput extends Omit<PlannerInput, 'demand' | 'spotCapacity' | 'fleet'> {
  /** GPU-equivalents actually demanded per class per hour (known in hindsight). */
  actualDemand: Readonly<Record<string, readonly number[]>>;
  /** Spot instances that were actually obtainable per pool per hour. Absent = no limit. */
  spotAvailable?: PlannerInput['spotCapacity'];
}

export interface OracleResult {
  totalCostUsd: MicroUsd;
  /** Cost of each hour of the horizon, from whole instances × prices. */
  hourlyCostUsd: MicroUsd[];
}

// Each hour is solved exactly: without churn or lifetimes, hours do not interact.
const ORACLE_SETTINGS: Partial<PlannerSettings> = {
  physicalOnly: true,
  integer: 'mip',
  mipRelativeGap: 0,
  mipTimeLimitSeconds: 60,
  periodLayout: HOURLY_LAYOUT,
};

function hourOf(series: number | readonly number[] | undefined, h: number): number | undefined {
  if (series === undefined || typeof series === 'number') return series;
  return series[Math.min(h, series.length - 1)];
}

/**
 * Solves every hour on its own as a MIP with no churn cost, minimum lifetime, diversification cap, spot
 * risk term or boot warm-up. The class's spot share stays: it is a property of the work, not a policy
 * of the planner. Any plan's whole instances, hour by hour, are feasible here, so none can cost less.
 */
export async function oracleCost(input: OracleInput): Promise<OracleResult> {
  const cache = new Map<string, MicroUsd>();
  const hourlyCostUsd: MicroUsd[] = [];
  for (let h = 0; h < input.horizonHours; h++) {
    const demand: Record<string, number[]> = {};
    for (const [classId, series] of Object.entries(input.actualDemand))
      demand[classId] = [hourOf(series, h) ?? 0];
    const spotCapacity: Record<string, number> = {};
    for (const [poolId, series] of Object.entries(input.spotAvailable ?? {})) {
      const v = hourOf(series, h);
      if (v !== undefined) spotCapacity[poolId] = v;
    }
    const key = JSON.stringify([demand, spotCapacity]);
    let cost = cache.get(key);
    if (cost === undefined) {
      const result = await planCapacity(
        { ...input, startMs: input.startMs + h * HOUR_MS, horizonHours: 1, demand, spotCapacity, fleet: [] },
        ORACLE_SETTINGS,
      );
      cost = result.plan.totalCostUsd;
      cache.set(key, cost);
    }
    hourlyCostUsd.push(cost);
  }
  return { totalCostUsd: sumUsd(hourlyCostUsd), hourlyCostUsd };
}
