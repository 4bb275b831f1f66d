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
  const hold = holdingMargin(lookback, options);
  return lookback.map((u, x) =>
    hold(Math.max(0, u + options.trendWeight * slope * (lookback.length - 1 - x))),
  );
}

/** What the hour-ahead plan holds for a demand level: the level plus the margin its hourly changes call for. */
export function holdingMargin(
  lookback: readonly number[],
  options: { coverage: number; minHeadroom: number },
): (level: number) => number {
  const margin = Math.max(0, upperQuantile(hourlyChanges(lookback, lookback.length), options.coverage));
  return (level) => level + Math.max(margin, options.minHeadroom * level);
}

// Standard normal quantiles of the levels a forecast band is sampled at, over that of its p90.
const SAMPLE_LEVELS = [-1.2816, -0.5244, 0, 0.5244, 1.2816].map((z) => z / 1.2816);

/**
 * The forecast's coming hours as samples of demand: each hour at five levels spread over its band (the 10th
 * to the 90th percentile, the lower half mirrored from the upper), so a commitment can read the forecast's
 * distribution and not its median alone. Samples are grouped by level, so classes sampled alike line up.
 */
export function forecastSamples(
  fit: { fittedAtHour: number; p50: readonly number[]; p90: readonly number[] },
  atHour: number,
): number[] {
  const from = Math.max(0, atHour - fit.fittedAtHour);
  const out: number[] = [];
  for (const level of SAMPLE_LEVELS)
    for (let k = from; k < fit.p50.length; k++) {
      const p50 = fit.p50[k]!;
      out.push(Math.max(0, p50 + level * Math.max(0, (fit.p90[k] ?? p50) - p50)));
    }
  return out;
}
