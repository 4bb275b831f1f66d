// The usage the simulated optimizer's commitment is chosen from: the lookback moved along its trend, plus the plan's margin.
import { hourlyChanges, upperQuantile } from '../../optimizer/hour-ahead.ts';

/** Least-squares slope of a series per step (0 for fewer than two values). */
export function trendPerStep(values: readonly number[]): number {
  const n = values.length;
  if (n < 2) return 0;
  const meanX = (n - 1) / 2;
  const meanY = values.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  values.forEach((y, x) => {
    sxy += (x - meanX) * (y - meanY);
    sxx += (x - meanX) ** 2;
  });
  return sxy / sxx;
}

/**
 * What the plan will hold in each hour of a lookback, for choosing a commitment: the usage moved `trendWeight`
 * of the way along its linear trend to the level at the lookback's end (a month's slide says something about
 * the coming weeks, but not all), plus the margin the hour-ahead plan carries over demand.
 */
export function plannedUsage(
  lookback: readonly number[],
  options: { coverage: number; minHeadroom: number; trendWeight: number },
): number[] {
  const slope = trendPerStep(lookback);
  const margin = Math.max(0, upperQuantile(hourlyChanges(lookback, lookback.length), options.coverage));
  return lookback.map((u, x) => {
    const level = Math.max(0, u + options.trendWeight * slope * (lookback.length - 1 - x));
    return level + Math.max(margin, options.minHeadroom * level);
  });
}
