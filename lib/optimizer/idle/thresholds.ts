// Idle thresholds: the defaults, per-pool and per-team overrides, and how they resolve for one node.
import { z } from 'zod';

/** A GPU whose window mean stays below this is doing nothing a user would notice (nvidia-smi noise is 0–2 %). */
export const DEFAULT_UTILIZATION_PCT = 5;
/** Half an hour of quiet: long enough to skip a data-loader stall, short enough to matter on the bill. */
export const DEFAULT_WINDOW_MINUTES = 30;

const thresholdFields = {
  /** How long every GPU must stay quiet before the node counts as idle. */
  windowMinutes: z
    .number()
    .int()
    .min(5)
    .max(24 * 60),
  /** Window-mean utilization at or above this on any GPU makes the node busy. */
  utilizationPct: z.number().min(0).max(100),
  /** Window-mean SM activity (DCGM) at or above this makes the node busy, where it is known. */
  smActivityPct: z.number().min(0).max(100),
  /** Peak memory used at or above this share of the GPU's memory makes the node busy (null: not judged). */
  memoryUsedPct: z.number().min(0).max(100).nullable(),
  /** Mean draw at or above this (watts per GPU) makes the node busy (null: not judged). */
  powerW: z.number().min(0).nullable(),
  /** An interactive login within this many minutes keeps the node. */
  loginGraceMinutes: z.number().int().min(0),
  /** No report for longer than this makes the node unknown (never idle). */
  staleAfterMinutes: z.number().int().min(1),
  /** Share of the window's 5-minute slots that must have reported for an idle verdict. */
  minCoverage: z.number().min(0).max(1),
  /** Time between the mark (and its notice) and the release. */
  graceMinutes: z.number().int().min(0),
};

/** Overrides name only what they change; unset fields fall through to the next level. */
export const zIdleThresholdOverride = z.strictObject(thresholdFields).partial();
export type IdleThresholds = { [K in keyof typeof thresholdFields]: z.infer<(typeof thresholdFields)[K]> };
export type IdleThresholdsInput = z.input<typeof zIdleThresholdOverride>;

export const IDLE_DEFAULTS: IdleThresholds = {
  windowMinutes: DEFAULT_WINDOW_MINUTES,
  utilizationPct: DEFAULT_UTILIZATION_PCT,
  smActivityPct: DEFAULT_UTILIZATION_PCT,
  // An idle GPU holds a few hundred MiB of context at most; a loaded model holds far more than a tenth.
  memoryUsedPct: 10,
  // Idle draw differs by model (about 20 W for an L4, 70 W for an H100), so power is judged only when set.
  powerW: null,
  loginGraceMinutes: 60,
  staleAfterMinutes: 15,
  minCoverage: 0.8,
  graceMinutes: 30,
};

export const zIdleThresholds = zIdleThresholdOverride.transform((o): IdleThresholds => ({
  ...IDLE_DEFAULTS,
  ...definedOnly(o),
}));

export const zIdleThresholdConfig = z.object({
  defaults: zIdleThresholds.default(IDLE_DEFAULTS),
  /** By pool id; a team override wins over a pool override. */
  pools: z.record(z.string(), zIdleThresholdOverride).default({}),
  /** By team label. */
  teams: z.record(z.string(), zIdleThresholdOverride).default({}),
});
export type IdleThresholdConfig = z.infer<typeof zIdleThresholdConfig>;
export type IdleThresholdConfigInput = z.input<typeof zIdleThresholdConfig>;

function definedOnly<T extends object>(o: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The thresholds that apply to one node: defaults, then its pool's, then its team's. */
export function thresholdsFor(
  config: IdleThresholdConfig,
  node: { poolId: string; labels: { team?: string | undefined } },
): IdleThresholds {
  const team = node.labels.team;
  return {
    ...config.defaults,
    ...definedOnly(config.pools[node.poolId]),
    ...(team ? definedOnly(config.teams[team]) : {}),
  };
}
