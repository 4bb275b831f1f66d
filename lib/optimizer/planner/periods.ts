// The periods of a planning horizon (hourly near, coarser blocks far) and demand per period from hourly series.
import { HOUR_MS } from '../../domain/time.ts';
import type { Forecast, QuantileName } from '../../domain/forecast.ts';
import { parseRfc3339 } from '../../domain/time.ts';

export interface Period {
  index: number;
  startMs: number;
  endMs: number;
  hours: number;
  /** Hours from the start of the horizon to the start of this period. */
  firstHour: number;
}

/** Blocks of `blockHours` until `untilHour` hours into the horizon. */
export interface PeriodBlock {
  blockHours: number;
  untilHour: number;
}

/** Hourly for the first day (where actions happen), then 4-hour blocks to day 3, then 12-hour blocks. */
export const DEFAULT_PERIOD_LAYOUT: readonly PeriodBlock[] = [
  { blockHours: 1, untilHour: 24 },
  { blockHours: 4, untilHour: 72 },
  { blockHours: 12, untilHour: Infinity },
];

export const HOURLY_LAYOUT: readonly PeriodBlock[] = [{ blockHours: 1, untilHour: Infinity }];

export function buildPeriods(
  startMs: number,
  horizonHours: number,
  layout: readonly PeriodBlock[] = DEFAULT_PERIOD_LAYOUT,
): Period[] {
  if (!Number.isInteger(horizonHours) || horizonHours < 1)
    throw new RangeError(`horizonHours must be a whole number ≥ 1, got ${horizonHours}`);
  const periods: Period[] = [];
  let hour = 0;
  for (const block of layout) {
    if (!(block.blockHours >= 1) || !Number.isInteger(block.blockHours))
      throw new RangeError(`period blockHours must be a whole number ≥ 1, got ${block.blockHours}`);
    while (hour < Math.min(block.untilHour, horizonHours)) {
      const hours = Math.min(block.blockHours, horizonHours - hour);
      periods.push({
        index: periods.length,
        startMs: startMs + hour * HOUR_MS,
        endMs: startMs + (hour + hours) * HOUR_MS,
        hours,
        firstHour: hour,
      });
      hour += hours;
    }
  }
  if (hour < horizonHours) throw new RangeError('period layout does not cover the horizon');
  return periods;
}

/**
 * The most of an hourly series over a period: a coarse block must hold enough capacity for its busiest hour.
 * Hours past the end of the series hold its last value.
 */
export function peakOver(hourly: readonly number[], period: Period): number {
  let peak = 0;
  for (let h = period.firstHour; h < period.firstHour + period.hours; h++) {
    const v = hourly[Math.min(h, hourly.length - 1)] ?? 0;
    if (v > peak) peak = v;
  }
  return peak;
}

/** The least of an hourly availability series over a period (capacity must exist in every hour). */
export function leastOver(hourly: readonly number[], period: Period): number {
  let least = Infinity;
  for (let h = period.firstHour; h < period.firstHour + period.hours; h++) {
    const v = hourly[Math.min(h, hourly.length - 1)] ?? Infinity;
    if (v < least) least = v;
  }
  return least;
}

/**
 * Hourly demand at a quantile (or the point forecast) from a forecast: each hour takes the highest step that overlaps it; hours
 * before the first step take the first, hours after the last step hold the last (a flat extrapolation).
 */
export function hourlyDemandFromForecast(
  forecast: Forecast,
  quantile: QuantileName | 'point',
  startMs: number,
  horizonHours: number,
): number[] {
  const steps = forecast.steps
    .map((s) => ({ atMs: parseRfc3339(s.at), gpus: s[quantile] }))
    .sort((a, b) => a.atMs - b.atMs);
  const stepMs = forecast.stepSeconds * 1000;
  const out: number[] = [];
  for (let h = 0; h < horizonHours; h++) {
    const from = startMs + h * HOUR_MS;
    const to = from + HOUR_MS;
    let value: number | undefined;
    for (const s of steps) {
      if (s.atMs < to && s.atMs + stepMs > from) value = Math.max(value ?? 0, s.gpus);
    }
    if (value === undefined) {
      const before = steps.filter((s) => s.atMs < from);
      value = (before.length > 0 ? before[before.length - 1] : steps[0])?.gpus ?? 0;
    }
    out.push(value);
  }
  return out;
}
