// The plan for the hour about to start: how much demand to cover, learnt from how the forecast and persistence missed lately.
import type { Forecast } from '../domain/forecast.ts';
import { HOUR_MS, parseRfc3339 } from '../domain/time.ts';

/** The value below which a `q` share of `values` lie (the highest for q = 1); 0 when there are none. */
export function upperQuantile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.floor(q * sorted.length)))]!;
}

/** How much demand rose (or fell) from each hour to the next over the last `windowHours` of `history`. */
export function hourlyChanges(history: readonly number[], windowHours: number): number[] {
  const changes: number[] = [];
  for (let h = Math.max(1, history.length - windowHours); h < history.length; h++)
    changes.push(history[h]! - history[h - 1]!);
  return changes;
}

export interface HourAheadInput {
  /** Demand of the hours before the one planned for. */
  history: readonly number[];
  /** The model's forecast for the hour, already moved by its last miss. */
  forecast: number;
  /** Recent misses of that forecast (actual − forecast); too few (under `minSamples`) and the forecast stands alone. */
  forecastMisses: readonly number[];
  /** Share of recent hours the plan should have covered. */
  coverage: number;
  /** The plan is at least this share above the last hour's demand. */
  minHeadroom: number;
  /** Spot is kept for the largest recent miss, at most this many times the coverage margin. */
  spotMarginFactor: number;
  windowHours: number;
  minSamples: number;
  /**
   * Misses of the plan's own base, max(forecast, last hour), hour by hour: with enough of them the margin is
   * their quantile, so the plan covers `coverage` of hours as a whole.
   */
  baseMisses?: readonly number[];
}

export interface HourAhead {
  /** Demand the hour's fleet must serve: the capacity plan covers this. */
  plan: number;
  /** Demand spot should be held for as well, when the pools can launch it (≥ plan). */
  spotPlan: number;
}

/**
 * Two one-hour-ahead predictors: the model's forecast, and the last hour's demand (persistence). The model
 * follows the daily cycle; persistence keeps the plan from dropping below the last hour when the model expects a
 * fall that does not come. The plan's base is the higher of the two, and its margin the `coverage` quantile of
 * that base's own misses. Each predictor with its own margin, and the higher of the two plans, would cover more
 * than `coverage`, by most in the tail (on the Philly trace at a late price of 10 on-demand GPU-hours, that
 * over-cover cost 3 % more than it saved). Without enough scored hours for the base, each predictor is margined on
 * its own misses and the higher plan is taken.
 *
 * Spot costs a fraction of on-demand, but each class may run only its spot share on spot, so spot held over
 * the plan serves that share of a rise above it. Holding spot for the largest miss of the week (bounded, as
 * one sudden jump would otherwise set the margin for a week) cuts late work at a small cost.
 */
export function planHourAhead(input: HourAheadInput): HourAhead {
  const last = input.history[input.history.length - 1] ?? 0;
  const changes = hourlyChanges(input.history, input.windowHours);
  const useModel = input.forecastMisses.length >= input.minSamples;
  const margin = (misses: readonly number[]) => upperQuantile(misses, input.coverage);
  const spotMargin = (misses: readonly number[]) =>
    Math.min(upperQuantile(misses, 1), input.spotMarginFactor * Math.max(0, margin(misses)));

  let plan = Math.max(input.forecast, last * (1 + input.minHeadroom));
  if (input.baseMisses && input.baseMisses.length >= input.minSamples)
    plan = Math.max(plan, Math.max(input.forecast, last) + margin(input.baseMisses));
  else {
    if (changes.length > 0) plan = Math.max(plan, last + margin(changes));
    if (useModel) plan = Math.max(plan, input.forecast + margin(input.forecastMisses));
  }

  let spotPlan = plan;
  if (changes.length > 0) spotPlan = Math.max(spotPlan, last + spotMargin(changes));
  if (useModel) spotPlan = Math.max(spotPlan, input.forecast + spotMargin(input.forecastMisses));
  return { plan: Math.max(0, plan), spotPlan: Math.max(0, spotPlan) };
}

export interface HourAheadSettings {
  coverage: number;
  minHeadroom: number;
  spotMarginFactor: number;
  windowHours: number;
  minSamples: number;
}

export interface HourAheadFromHistory extends HourAhead {
  /** How many past forecasts were scored against what came. */
  scoredForecasts: number;
  /** The last hour's miss (actual − the forecast issued then), which moved the forecast used here. */
  lastMiss: number;
}

/**
 * The hour-ahead plan of one class from what the store keeps: actual hourly demand (gaps carry the last level)
 * and the forecasts issued over the window, each scored on its first hour against what came. The forecast for
 * the coming hour is moved by the last hour's miss first: after a level shift a model refitted on weeks of
 * history is slow to follow, and the hour just gone is the best evidence of where demand stands.
 */
export function hourAheadFromHistory(input: {
  startMs: number;
  /** Actual demand of the class per hour before `startMs` (any order, gaps allowed). */
  actual: readonly { hourStartMs: number; gpus: number }[];
  /** Forecasts of the class issued in the window. */
  pastForecasts: readonly Forecast[];
  /** The forecast's point for the hour about to start. */
  forecastNow: number;
  settings: HourAheadSettings;
}): HourAheadFromHistory {
  const { startMs, settings } = input;
  const byHour = new Map(input.actual.map((a) => [a.hourStartMs, a.gpus]));
  const fromMs = startMs - settings.windowHours * HOUR_MS;
  const history: number[] = [];
  let last: number | undefined;
  for (let t = fromMs; t < startMs; t += HOUR_MS) {
    last = byHour.get(t) ?? last;
    if (last !== undefined) history.push(last);
  }
  const missAt = new Map<number, number>();
  for (const f of input.pastForecasts) {
    const issuedMs = parseRfc3339(f.issuedAt);
    const actual = byHour.get(issuedMs);
    const step = f.steps.find((s) => parseRfc3339(s.at) === issuedMs);
    if (actual !== undefined && step) missAt.set(issuedMs, actual - step.point);
  }
  const lastMiss = missAt.get(startMs - HOUR_MS) ?? 0;
  const forecast = Math.max(0, input.forecastNow + lastMiss);
  // The misses of the forecast as used: each moved by the miss of the hour before, as the coming one is; and the
  // misses of the plan's own base, max(the forecast as used, the hour before), hour by hour.
  const forecastMisses: number[] = [];
  const baseMisses: number[] = [];
  for (const [t, miss] of missAt) {
    const moved = miss - (missAt.get(t - HOUR_MS) ?? 0);
    forecastMisses.push(moved);
    const actual = byHour.get(t)!;
    const before = byHour.get(t - HOUR_MS);
    if (before !== undefined) baseMisses.push(actual - Math.max(actual - moved, before));
  }
  return {
    ...planHourAhead({ history, forecast, forecastMisses, baseMisses, ...settings }),
    scoredForecasts: forecastMisses.length,
    lastMiss,
  };
}
