// The optimize run's decision as a pure function: forecasts, the week's evidence, fleet and prices in; the capacity plan out.
import { z } from 'zod';
import type { Forecast } from '../domain/forecast.ts';
import type { FleetNode } from '../domain/fleet.ts';
import { zMode } from '../domain/plan.ts';
import type { Pool } from '../domain/pool.ts';
import type { PriceQuote } from '../domain/price.ts';
import type { WorkloadClass } from '../domain/workload.ts';
import { hourAheadFromHistory } from './hour-ahead.ts';
import { COVERAGE_BOUNDS, penaltyPricedCoverage } from './late-price.ts';
import {
  hourlyDemandFromForecast,
  planCapacity,
  zPlannerSettings,
  type PlanResult,
  type PlannerInput,
} from './planner/index.ts';

/** The first hour's plan is lifted to what the last week's misses say it needs (see hour-ahead.ts). */
export const zHourAheadConfig = z.object({
  enabled: z.boolean().default(true),
  /**
   * Share of the window's hours the first hour's plan should have covered. Left out, each class's comes from
   * the prices and the late penalty (the newsvendor critical ratio, see late-price.ts).
   */
  coverage: z.number().min(0.5).max(1).optional(),
  /** The first hour is planned at least this share above the last hour's demand. */
  minHeadroom: z.number().min(0).max(1).default(0.02),
  windowHours: z
    .number()
    .int()
    .min(24)
    .max(24 * 28)
    .default(7 * 24),
  /** Past forecasts scored before their misses set a margin; fewer and the margin comes from demand alone. */
  minSamples: z.number().int().min(1).default(24),
});
export type HourAheadConfig = z.infer<typeof zHourAheadConfig>;

/** The one set of decision settings and defaults, for the deployed run and the simulator alike. */
export const zDecisionConfig = z.object({
  quantile: z.enum(['p50', 'p90', 'p99']).default('p90'),
  horizonHours: z.number().int().min(1).max(336).default(168),
  /** Reserved / committed instances already bought, per pool id. */
  reservedInstances: z.record(z.string(), z.number().int().min(0)).default({}),
  gpuThroughput: z.record(z.string(), z.number().positive()).default({}),
  planner: zPlannerSettings.default({}),
  hourAhead: zHourAheadConfig.default(zHourAheadConfig.parse({})),
  /**
   * What a GPU-hour of demand served late costs the owner beyond its on-demand fill, in on-demand GPU-hours of the
   * class's cheapest pool: 1 by default (a late GPU-hour costs twice an on-demand one). It prices the first
   * hour's margin against the capacity that holds it.
   */
  latePenaltyMultiplier: z.number().min(0).max(1000).default(1),
});
export type DecisionConfig = z.infer<typeof zDecisionConfig>;
export const DECISION_DEFAULTS: DecisionConfig = zDecisionConfig.parse({});

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
}

export interface Decision {
  result: PlanResult;
  /** Demand planned per class over the horizon (the first hour lifted). */
  demand: Record<string, number[]>;
  classesWithoutForecast: string[];
  /** Per class: the forecast's first hour and the plan it was lifted to (for the run's log). */
  firstHour: { classId: string; forecast: number; plan: number }[];
}

/**
 * Demand per class at the configured quantile over the horizon, the first hour lifted by the hour-ahead plan
 * (the hour the fleet must serve now, which a forecast refitted hourly still misses at rises and level shifts),
 * then the capacity plan. With a week of scored forecasts the hour-ahead plan is calibrated and replaces the
 * model's quantile for the first hour; before that it can only raise it (the quantile moved by the last miss).
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
  for (const workload of input.classes) {
    const evidence = input.evidence.get(workload.id);
    const forecast = evidence?.latest;
    if (!forecast || forecast.steps.length === 0) {
      classesWithoutForecast.push(workload.id);
      demand[workload.id] = [0];
      continue;
    }
    const path = hourlyDemandFromForecast(forecast, config.quantile, input.startMs, config.horizonHours);
    demand[workload.id] = path;
    if (!config.hourAhead.enabled || path.length === 0) continue;
    const ahead = hourAheadFromHistory({
      startMs: input.startMs,
      actual: evidence.actual,
      pastForecasts: evidence.pastForecasts,
      forecastNow: hourlyDemandFromForecast(forecast, 'point', input.startMs, 1)[0] ?? 0,
      settings: {
        ...config.hourAhead,
        coverage: hourAheadCoverage(config, workload, input.pools, input.prices),
        spotMarginFactor: 1,
      },
    });
    const lifted =
      ahead.scoredForecasts >= config.hourAhead.minSamples
        ? ahead.plan
        : Math.max(ahead.plan, path[0]! + ahead.lastMiss);
    firstHour.push({ classId: workload.id, forecast: path[0]!, plan: Math.max(0, lifted) });
    path[0] = Math.max(0, lifted);
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
