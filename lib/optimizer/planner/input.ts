// What the planner takes (pools, prices, classes, demand, fleet, commitments) and its settings, with their defaults.
import { z } from 'zod';
import type { FleetNode } from '../../domain/fleet.ts';
import type { QuantileName } from '../../domain/forecast.ts';
import type { MicroUsd } from '../../domain/money.ts';
import type { Mode } from '../../domain/plan.ts';
import type { Pool } from '../../domain/pool.ts';
import type { PriceQuote } from '../../domain/price.ts';
import type { WorkloadClass } from '../../domain/workload.ts';
import { DEFAULT_PERIOD_LAYOUT, type PeriodBlock } from './periods.ts';

export interface PlannerInput {
  /** Start of the horizon, epoch ms (runs pass the current hour). */
  startMs: number;
  horizonHours: number;
  pools: readonly Pool[];
  prices: readonly PriceQuote[];
  classes: readonly WorkloadClass[];
  /**
   * Demand per class id: GPU-equivalents per hour from `startMs` (already at the chosen quantile). A
   * GPU-equivalent is one GPU of throughput 1 (see `gpuThroughput`).
   */
  demand: Readonly<Record<string, readonly number[]>>;
  /** The fleet as it is now: plans start from it (launch churn, minimum lifetime). */
  fleet?: readonly FleetNode[];
  /** Reserved / committed instances already bought, per pool id: paid whether used or not. */
  reservedInstances?: Readonly<Record<string, number>>;
  /** Spot instances obtainable per pool id: one figure, or one per hour of the horizon. Absent = no limit. */
  spotCapacity?: Readonly<Record<string, number | readonly number[]>>;
  /**
   * Work one GPU of a model does relative to the reference GPU the demand is measured in (default 1). With
   * it, the solver trades a faster, dearer GPU against a slower, cheaper one by price per unit of work.
   */
  gpuThroughput?: Readonly<Record<string, number>>;
}

export interface PlannerSettings {
  quantile: QuantileName;
  periodLayout: readonly PeriodBlock[];
  /** Each launch costs this many hours of the instance's price: it keeps plans from flapping. */
  churnHoursPerLaunch: number;
  /** An instance launched by the plan (or recently by anyone) is kept at least this long. */
  minLifetimeHours: number;
  /** No one spot pool carries more than this share of the spot fleet (diversification) … */
  maxSpotShareOnePool: number;
  /** … beyond this many instances, so that a small fleet may still use one spot pool. */
  spotDiversificationFloorInstances: number;
  /**
   * `mip`: integer instances solved exactly; `round`: LP relaxation rounded up (keeps demand met);
   * `auto`: MIP when the model has at most `mipMaxIntegerVariables` integer decisions. The wasm MIP is slow
   * on multi-period models (a 3-pool, 48-hour model took 16 s), so the default rounds the relaxation.
   */
  integer: 'auto' | 'mip' | 'round';
  mipMaxIntegerVariables: number;
  mipTimeLimitSeconds: number;
  mipRelativeGap: number;
  /**
   * The oracle's rules: physical limits only (no churn, minimum lifetime, diversification cap, spot risk
   * or boot warm-up); demand and spot availability are taken as known.
   */
  physicalOnly: boolean;
  mode: Mode;
  planId?: string;
  createdAtMs?: number;
}

export const DEFAULT_PLANNER_SETTINGS: PlannerSettings = {
  quantile: 'p90',
  periodLayout: DEFAULT_PERIOD_LAYOUT,
  churnHoursPerLaunch: 0.25,
  minLifetimeHours: 2,
  maxSpotShareOnePool: 0.5,
  spotDiversificationFloorInstances: 2,
  integer: 'round',
  mipMaxIntegerVariables: 200,
  mipTimeLimitSeconds: 10,
  mipRelativeGap: 1e-4,
  physicalOnly: false,
  mode: 'recommend',
};

/** The same settings in a wire form, for the CLI and configuration files. */
export const zPlannerSettings = z
  .object({
    quantile: z.enum(['p50', 'p90', 'p99']),
    periodLayout: z.array(
      z.object({ blockHours: z.number().int().min(1), untilHour: z.number().positive() }),
    ),
    churnHoursPerLaunch: z.number().min(0).max(24),
    minLifetimeHours: z.number().min(0).max(168),
    maxSpotShareOnePool: z.number().gt(0).max(1),
    spotDiversificationFloorInstances: z.number().min(0),
    integer: z.enum(['auto', 'mip', 'round']),
    mipMaxIntegerVariables: z.number().int().min(0),
    mipTimeLimitSeconds: z.number().positive(),
    mipRelativeGap: z.number().min(0).max(1),
    physicalOnly: z.boolean(),
    mode: z.enum(['recommend', 'enforce']),
    planId: z.string().min(1).optional(),
  })
  .partial();

/** Raised when some demand cannot be met: names each demand constraint that fell short and by how much. */
export class InfeasiblePlanError extends Error {
  constructor(
    readonly shortfalls: readonly {
      constraint: string;
      classId: string;
      periodStart: string;
      shortGpus: number;
      reason: string;
    }[],
  ) {
    const shown = shortfalls
      .slice(0, 5)
      .map((s) => `${s.constraint} short by ${s.shortGpus} GPU(s) from ${s.periodStart}: ${s.reason}`);
    super(
      `infeasible plan: ${shown.join('; ')}${shortfalls.length > 5 ? `; … and ${shortfalls.length - 5} more` : ''}`,
    );
    this.name = 'InfeasiblePlanError';
  }
}

/** Raised when the inputs contradict themselves (reserved instances without a reserved price, …). */
export class PlannerInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlannerInputError';
  }
}

export interface OptionPrice {
  usdPerHour: MicroUsd;
  spotInterruptionRatePerHour: number;
}
