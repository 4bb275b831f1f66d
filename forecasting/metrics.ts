// Forecast accuracy: MASE, sMAPE, pinball loss and interval coverage, plus the empirical quantile used for bands.
import { quantileSorted } from 'simple-statistics';

/** Mean |y_t − y_{t−season}| over the training values: the error of the seasonal naive forecast, MASE's scale. */
export function naiveScale(training: readonly number[], season: number): number {
  let sum = 0;
  let n = 0;
  for (let t = season; t < training.length; t++) {
    sum += Math.abs(training[t]! - training[t - season]!);
    n++;
  }
  return n === 0 ? Number.NaN : sum / n;
}

/** Mean absolute error divided by the in-sample seasonal naive error; < 1 beats seasonal naive in-sample. */
export function mase(actual: readonly number[], forecast: readonly number[], scale: number): number {
  if (!(scale > 0)) return Number.NaN;
  let sum = 0;
  for (let i = 0; i < actual.length; i++) sum += Math.abs(actual[i]! - forecast[i]!);
  return sum / actual.length / scale;
}

/** Symmetric MAPE in percent (0–200); a step where both are 0 counts as a perfect 0. */
export function smape(actual: readonly number[], forecast: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < actual.length; i++) {
    const denominator = Math.abs(actual[i]!) + Math.abs(forecast[i]!);
    sum += denominator === 0 ? 0 : (200 * Math.abs(actual[i]! - forecast[i]!)) / denominator;
  }
  return sum / actual.length;
}

/** Pinball (quantile) loss of a quantile forecast at level q, averaged over the steps. */
export function pinball(actual: readonly number[], quantile: readonly number[], q: number): number {
  let sum = 0;
  for (let i = 0; i < actual.length; i++) {
    const diff = actual[i]! - quantile[i]!;
    sum += diff >= 0 ? q * diff : (q - 1) * diff;
  }
  return sum / actual.length;
}

/** Share of actuals at or below an upper quantile forecast (for p90, 0.9 is calibrated). */
export function coverage(actual: readonly number[], upper: readonly number[]): number {
  let inside = 0;
  for (let i = 0; i < actual.length; i++) if (actual[i]! <= upper[i]!) inside++;
  return inside / actual.length;
}

/** The q-quantile of values (linear interpolation, as simple-statistics does it); NaN for none. */
export function empiricalQuantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  return quantileSorted(
    [...values].sort((a, b) => a - b),
    q,
  );
}

/**
 * The split-conformal q-quantile of residuals: the ⌈(n+1)q⌉-th smallest. With few residuals the plain
 * empirical quantile sits too low (a band from 28 residuals covers less than it says); this one covers at
 * least q of a new exchangeable residual. Beyond the data it is the largest residual.
 */
export function conformalQuantile(values: readonly number[], q: number): number {
  return conformalQuantileSorted(
    [...values].sort((a, b) => a - b),
    q,
  );
}

/** conformalQuantile of values already sorted ascending. */
export function conformalQuantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.ceil((sorted.length + 1) * q));
  return sorted[Math.max(0, rank - 1)]!;
}
