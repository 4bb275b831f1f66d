// Regular series from timestamped points: resampling, gaps filled, outliers clipped (no I/O).
import { median, medianSorted } from 'simple-statistics';
import type { DemandPoint } from '../lib/domain/forecast.ts';
import { DAY_MS } from '../lib/domain/time.ts';

/** A series at a fixed step; `values[i]` is the level at `startMs + i × stepMs`. NaN marks a missing step. */
export interface Series {
  startMs: number;
  stepMs: number;
  values: number[];
}

/** Steps in one day at this step (24 for hourly). */
export function stepsPerDay(stepMs: number): number {
  return Math.max(1, Math.round(DAY_MS / stepMs));
}

/**
 * Resamples points to a regular series at `stepMs` (aligned to multiples of it), taking the mean of the points
 * in each step. A step without any point is NaN: a gap, not zero.
 */
export function resample(points: readonly DemandPoint[], stepMs: number): Series {
  if (points.length === 0) return { startMs: 0, stepMs, values: [] };
  let first = Infinity;
  let last = -Infinity;
  for (const p of points) {
    first = Math.min(first, p.atMs);
    last = Math.max(last, p.atMs);
  }
  const startMs = Math.floor(first / stepMs) * stepMs;
  const n = Math.floor((last - startMs) / stepMs) + 1;
  const sums = new Float64Array(n);
  const counts = new Uint32Array(n);
  for (const p of points) {
    const i = Math.floor((p.atMs - startMs) / stepMs);
    sums[i]! += p.gpus;
    counts[i]!++;
  }
  const values = Array.from(sums, (s, i) => (counts[i] ? s / counts[i]! : Number.NaN));
  return { startMs, stepMs, values };
}

/** Points placed on the steps of [startMs, endMs) (mean per step); steps without a point are NaN. */
export function seriesBetween(
  points: readonly DemandPoint[],
  stepMs: number,
  startMs: number,
  endMs: number,
): Series {
  const n = Math.max(0, Math.ceil((endMs - startMs) / stepMs));
  const sums = new Float64Array(n);
  const counts = new Uint32Array(n);
  for (const p of points) {
    const i = Math.floor((p.atMs - startMs) / stepMs);
    if (i < 0 || i >= n) continue;
    sums[i]! += p.gpus;
    counts[i]!++;
  }
  return { startMs, stepMs, values: Array.from(sums, (s, i) => (counts[i] ? s / counts[i]! : Number.NaN)) };
}

export interface Cleaned {
  values: number[];
  /** Steps that were missing and were filled. */
  filled: number[];
  /** Steps whose value was an outlier and was replaced by the local median. */
  clipped: number[];
}

/** How far from the local median, in robust standard deviations, a value must be to be called an outlier. */
export const OUTLIER_MADS = 8;
/** Half-width of the local median window; wider than a typical spike, narrower than a real level shift. */
const OUTLIER_HALF_WINDOW = 3;

/**
 * Fills gaps and clips outliers so the models see a complete series. A missing step takes the value one day
 * earlier (demand repeats daily), else the nearest known value. An outlier is a value more than OUTLIER_MADS
 * robust deviations from the median of its neighbours; it is replaced by that median. A level shift that lasts
 * longer than the window moves the median with it, so it is followed, not clipped.
 */
export function cleanSeries(series: Series): Cleaned {
  const day = stepsPerDay(series.stepMs);
  const values = series.values.slice();
  const filled: number[] = [];
  for (let i = 0; i < values.length; i++) {
    if (Number.isFinite(values[i]!)) continue;
    filled.push(i);
    if (i >= day && Number.isFinite(values[i - day]!)) values[i] = values[i - day]!;
  }
  // What a day back could not fill: leading gaps take the first known value, later ones the previous value.
  const firstKnown = values.find((v) => Number.isFinite(v)) ?? 0;
  for (let i = 0; i < values.length; i++)
    if (!Number.isFinite(values[i]!)) values[i] = i > 0 ? values[i - 1]! : firstKnown;

  const clipped: number[] = [];
  if (values.length > 2 * OUTLIER_HALF_WINDOW + 1) {
    // A point is judged against the medians of its left and of its right neighbours (never itself). A spike
    // is far from both; the first point of a level shift sits close to one side, so it is kept.
    const w = OUTLIER_HALF_WINDOW;
    const sideMedian = (from: number, to: number) => {
      const side = values.slice(Math.max(0, from), Math.max(0, to));
      return side.length ? median(side) : Number.NaN;
    };
    const deviation = values.map((v, i) => {
      const left = sideMedian(i - w, i);
      const right = sideMedian(i + 1, i + 1 + w);
      const d = [left, right].filter(Number.isFinite).map((m) => Math.abs(v - m));
      return Math.min(...d);
    });
    const scale = 1.4826 * medianSorted([...deviation].sort((a, b) => a - b));
    const original = values.slice();
    if (scale > 0)
      for (let i = 0; i < values.length; i++)
        if (deviation[i]! > OUTLIER_MADS * scale) {
          values[i] = median([...original.slice(Math.max(0, i - w), i), ...original.slice(i + 1, i + 1 + w)]);
          clipped.push(i);
        }
  }
  return { values, filled, clipped };
}
