// Capacity plans and the actions that carry them out.
import { z } from 'zod';
import { zCount, zId, zMicroUsd, zTimestamp } from './fields.ts';
import { zReleaseMethod } from './fleet.ts';
import { zPurchaseOption } from './pool.ts';
import { zRefusal } from './refusal.ts';

export const MODES = ['recommend', 'enforce'] as const;
export const zMode = z.enum(MODES);
export type Mode = z.infer<typeof zMode>;

/** Instances of one pool under one option for one period of the horizon. */
export const zPlanLine = z.object({
  poolId: zId,
  option: zPurchaseOption,
  periodStart: zTimestamp,
  periodEnd: zTimestamp,
  instances: zCount,
  /** quantity × price × hours, computed from the inputs, never read off the solver's objective. */
  costUsd: zMicroUsd,
});
export type PlanLine = z.infer<typeof zPlanLine>;

export const zPoolExplanation = z.object({
  poolId: zId,
  text: z.string(),
  costUsd: zMicroUsd,
  nextBestCostUsd: zMicroUsd.nullable(),
});
export type PoolExplanation = z.infer<typeof zPoolExplanation>;

export const ACTION_KINDS = ['launch', 'release', 'mark', 'unmark', 'commit'] as const;
export const ACTION_STATUSES = ['recommended', 'done', 'failed', 'refused'] as const;

export const zAction = z.object({
  actionId: zId,
  kind: z.enum(ACTION_KINDS),
  poolId: zId,
  option: zPurchaseOption.optional(),
  count: zCount.optional(),
  nodeIds: z.array(zId).default([]),
  releaseMethod: zReleaseMethod.optional(),
  reason: z.string().min(1),
  mode: zMode,
  status: z.enum(ACTION_STATUSES),
  /** What the action saves per hour against leaving the fleet as it is (negative: it costs). */
  expectedSavingUsdPerHour: zMicroUsd.optional(),
  error: z.string().optional(),
  /** Why the action was not carried out (status refused): the guard's typed reason. */
  refusal: zRefusal.optional(),
  /** The team a launch is for (tagged on its instances), when the pool serves one team's classes. */
  team: zId.optional(),
});
export type Action = z.infer<typeof zAction>;

export const zPlan = z.object({
  planId: zId,
  createdAt: zTimestamp,
  horizonStart: zTimestamp,
  horizonEnd: zTimestamp,
  quantile: z.enum(['p50', 'p90', 'p99']),
  mode: zMode,
  lines: z.array(zPlanLine),
  totalCostUsd: zMicroUsd,
  explanations: z.array(zPoolExplanation).default([]),
  actions: z.array(zAction).default([]),
});
export type Plan = z.infer<typeof zPlan>;
