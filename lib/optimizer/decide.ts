// The optimize run's decision as a pure function: forecasts, the week's evidence, fleet and prices in; the capacity plan out.
import { z } from 'zod';
import type { Forecast } from '../domain/forecast.ts';
import type { FleetNode } from '../domain/fleet.ts';
import { zMode } from '../domain/plan.ts';
import type { Pool } from '../domain/pool.ts';
import type { PriceQuote } from '../domain/price.ts';
import { requirementOf, type WorkloadClass } from '../domain/workload.ts';
import { hourAheadFromHistory } from './hour-ahead.ts';
import { COVERAGE_BOUNDS, penaltyPricedCoverage } from './late-price.ts';
import { splitPooledPlan, summedEvidence } from './pooled-margin.ts';
import { zDecisionConfig, type DecisionConfig } from './decision-config.ts';
import {
  hourlyDemandFromForecast,
  planCapacity,
  type PlanResult,
  type PlannerInput,
} from './planner/index.ts';

export {
  DECISION_DEFAULTS,
  zDecisionConfig,
  zHourAheadConfig,
  type DecisionConfig,
  type HourAheadConfig,
} from './decision-config.ts';

/** What the run knows of one class: its latest forecast and, for the first hour, the last week's evidence. */
export interface ClassEvidence {
  latest: Forecast | undefined;
  /** Actual demand per hour over the hour-ahead window (any order, gaps allowed). */
  actual: readonly { hourStartMs: number; gpus: number }[];
  /** Forecasts issued over the window, scored on their first hour. */
  pastForecasts: readonly Forecast[];
}

export interface DecisionInput {
  /** The hour planned from (its start). */
  startMs: number;
  pools: readonly Pool[];
  prices: readonly PriceQuote[];
  classes: readonly WorkloadClass[];
  evidence: ReadonlyMap<string, ClassEvidence>;
  fleet: readonly FleetNode[];
  /** Spot instances each pool can hold now, where known. */
  spotCapacity?: PlannerInput['spotCapacity'];
  /**
   * Whether the classes share a pool's instances (a Kubernetes or Slurm node pool; the default) or each holds
   * whole instances of its own. Only shared capacity pools its first-hour margin.
   */
  sharing?: 'shared' | 'dedicated';
}

export interface Decision {
  result: PlanResult;
  /** Demand planned per class over the horizon (the first hour lifted). */
  demand: Record<string, number[]>;
  classesWithoutForecast: string[];
  /** Per class: the forecast's first hour and the plan it was lifted to (for the run's log). */
  firstHour: { classId: string; forecast: number; plan: number; pooledWith?: string }[];
}

/**
 * Demand per class at the configured quantile over the horizon, the first hour at the p90 or above and lifted by
 * the hour-ahead plan (the hour the fleet must serve now, which a forecast refitted hourly still misses at rises
 * and level shifts), then the capacity plan. With a week of scored forecasts the hour-ahead plan is calibrated and
 * replaces the model's quantile for the first hour; before that it can only raise it (moved by the last miss).
 */
export async function decide(
  input: DecisionInput,
  configInput: z.input<typeof zDecisionConfig> = {},
  plan: { planId: string; createdAtMs: number; mode?: z.infer<typeof zMode> },
): Promise<Decision> {
  const config = zDecisionConfig.parse(configInput);
  const demand: Record<string, number[]> = {};
  const classesWithoutForecast: string[] = [];
  const firstHour: Decision['firstHour'] = [];
  const aheadOf = new Map<string, FirstHourPlan>();
  for (const workload of input.classes) {
    const evidence = input.evidence.get(workload.id);
    const forecast = evidence?.latest;
    if (!forecast || forecast.steps.length === 0) {
      classesWithoutForecast.push(workload.id);
      demand[workload.id] = [0];
      continue;
    }
    const path = hourlyDemandFromForecast(forecast, config.quantile, input.startMs, config.horizonHours);
    if (path.length > 0)
      path[0] =
        hourlyDemandFromForecast(forecast, firstHourQuantile(config), input.startMs, 1)[0] ?? path[0]!;
    demand[workload.id] = path;
    if (!config.hourAhead.enabled || path.length === 0) continue;
    const forecastNow = hourlyDemandFromForecast(forecast, 'point', input.startMs, 1)[0] ?? 0;
    const coverage = hourAheadCoverage(config, workload, input.pools, input.prices);
    const lifted = liftFirstHour(config, path[0]!, {
      startMs: input.startMs,
      actual: evidence.actual,
      pastForecasts: evidence.pastForecasts,
      forecastNow,
      settings: { ...config.hourAhead, coverage, spotMarginFactor: 1 },
    });
    aheadOf.set(workload.id, { workload, evidence, forecastNow, coverage, quantileNow: path[0]!, ...lifted });
    firstHour.push({ classId: workload.id, forecast: path[0]!, plan: lifted.plan });
    path[0] = lifted.plan;
  }
  if (config.hourAhead.pool && input.sharing !== 'dedicated') {
    for (const [requirement, members] of groupBy([...aheadOf.values()], (a) => requirementOf(a.workload))) {
      if (members.length < 2) continue;
      const centres = members.reduce((a, m) => a + m.centre, 0);
      const summed = summedEvidence(members.map((m) => m.evidence));
      const pooled = liftFirstHour(
        config,
        members.reduce((a, m) => a + m.quantileNow, 0),
        {
          startMs: input.startMs,
          ...summed,
          forecastNow: members.reduce((a, m) => a + m.forecastNow, 0),
          settings: {
            ...config.hourAhead,
            coverage:
              centres > 0
                ? members.reduce((a, m) => a + m.coverage * m.centre, 0) / centres
                : Math.max(...members.map((m) => m.coverage)),
            spotMarginFactor: 1,
          },
        },
      );
      const shares = splitPooledPlan(
        members.map((m) => ({ classId: m.workload.id, centre: m.centre, alone: m.plan })),
        pooled.plan,
      );
      for (const row of firstHour) {
        const plan = shares.get(row.classId);
        if (plan === undefined) continue;
        demand[row.classId]![0] = plan;
        row.plan = plan;
        row.pooledWith = requirement;
      }
    }
  }
  const result = await planCapacity(
    {
      startMs: input.startMs,
      horizonHours: config.horizonHours,
      pools: input.pools,
      prices: input.prices,
      classes: input.classes,
      demand,
      fleet: input.fleet,
      reservedInstances: config.reservedInstances,
      gpuThroughput: config.gpuThroughput,
      ...(input.spotCapacity ? { spotCapacity: input.spotCapacity } : {}),
    },
    {
      ...config.planner,
      quantile: config.quantile,
      ...(plan.mode ? { mode: plan.mode } : {}),
      planId: plan.planId,
      createdAtMs: plan.createdAtMs,
    },
  );
  return { result, demand, classesWithoutForecast, firstHour };
}

/** The first hour's coverage of a class: the configured share, else priced by the late penalty. */
export function hourAheadCoverage(
  config: Pick<DecisionConfig, 'hourAhead' | 'latePenaltyMultiplier'>,
  workload: WorkloadClass,
  pools: readonly Pool[],
  prices: readonly PriceQuote[],
): number {
  return (
    config.hourAhead.coverage ??
    penaltyPricedCoverage(workload, pools, prices, config) ??
    // Nothing can fill this class late: cover as much as the week's misses tell.
    COVERAGE_BOUNDS.max
  );
}

interface FirstHourPlan {
  workload: WorkloadClass;
  evidence: ClassEvidence;
  forecastNow: number;
  coverage: number;
  /** The first hour at its quantile (see firstHourQuantile), before the lift. */
  quantileNow: number;
  /** The forecast moved by its last miss. */
  centre: number;
  plan: number;
}

/**
 * The quantile the first hour starts from: the configured one, but never under the p90. The first hour is the one
 * the fleet must serve now; until a week of scored forecasts calibrates its margin (and when the hour-ahead plan is
 * off) that quantile is all the margin it has, whereas the later hours are planned again before they come.
 */
function firstHourQuantile(config: Pick<DecisionConfig, 'quantile'>): 'p90' | 'p99' {
  return config.quantile === 'p99' ? 'p99' : 'p90';
}

/**
 * The first hour's demand to plan for: with a week of scored forecasts, the hour-ahead plan; before that it
 * can only raise the first hour's quantile (moved by the last miss).
 */
function liftFirstHour(
  config: DecisionConfig,
  quantileNow: number,
  input: Parameters<typeof hourAheadFromHistory>[0],
): { centre: number; plan: number } {
  const ahead = hourAheadFromHistory(input);
  const lifted =
    ahead.scoredForecasts >= config.hourAhead.minSamples
      ? ahead.plan
      : Math.max(ahead.plan, quantileNow + ahead.lastMiss);
  return { centre: Math.max(0, input.forecastNow + ahead.lastMiss), plan: Math.max(0, lifted) };
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}
