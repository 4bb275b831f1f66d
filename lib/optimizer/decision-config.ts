// The optimize decision's settings and defaults, apart from the planner's code: the config of every run reads them without loading the solver.
import { z } from 'zod';
import { zPlannerSettings } from './planner/input.ts';

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
  /**
   * Classes of one GPU requirement on shared capacity hold one margin, sized on the misses of their sum, split
   * by the margins they would hold alone; off, each holds its own.
   */
  pool: z.boolean().default(true),
});
export type HourAheadConfig = z.infer<typeof zHourAheadConfig>;

/** The one set of decision settings and defaults, for the deployed run and the simulator alike. */
export const zDecisionConfig = z.object({
  /**
   * The forecast's quantile the plan holds after its first hour (the first holds the hour-ahead plan's margin and
   * never starts under the p90). Those hours are planned again every hour with a fresher forecast before they come,
   * so a margin held for them now buys little: the median was 0.5 % cheaper than the p90 over the six bundled
   * traces in the fast model, and 1.5 % cheaper (geomean) over five windows of four traces through the real runs.
   */
  quantile: z.enum(['p50', 'p90', 'p99']).default('p50'),
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
