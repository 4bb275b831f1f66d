// Regression of demand on a local linear trend, daily and weekly Fourier terms and a weekend flag.
import { Matrix, solve } from 'ml-matrix';
import { DAY_MS } from '../../lib/domain/time.ts';
import type { FitInput, Model } from './model.ts';
import { stepsPerDay } from '../series.ts';

/** Harmonics per season: 4 daily ones draw a work-day shape, 3 weekly ones the week; more overfit 4 weeks. */
const DAILY_HARMONICS = 4;
const WEEKLY_HARMONICS = 3;
/** The trend is local: fit on the last 4 weeks so an old level does not pull the line. */
const FIT_DAYS = 28;
/** A touch of ridge keeps the normal equations solvable when a term is constant in the window. */
const RIDGE = 1e-6;

const WIDTH = 3 + 2 * DAILY_HARMONICS + 2 * WEEKLY_HARMONICS;

function features(atMs: number, t: number): number[] {
  const dayPhase = (2 * Math.PI * (((atMs % DAY_MS) + DAY_MS) % DAY_MS)) / DAY_MS;
  // Epoch day 0 (1970-01-01) was a Thursday; weekPhase 0 = Thursday 00:00 UTC.
  const weekPhase = (2 * Math.PI * (((atMs % (7 * DAY_MS)) + 7 * DAY_MS) % (7 * DAY_MS))) / (7 * DAY_MS);
  const weekday = (Math.floor(atMs / DAY_MS) + 4) % 7; // 0 = Sunday, as Date.getUTCDay
  const row = [1, t, weekday === 0 || weekday === 6 ? 1 : 0];
  for (let k = 1; k <= DAILY_HARMONICS; k++) row.push(Math.sin(k * dayPhase), Math.cos(k * dayPhase));
  for (let k = 1; k <= WEEKLY_HARMONICS; k++) row.push(Math.sin(k * weekPhase), Math.cos(k * weekPhase));
  return row;
}

/**
 * Least squares with ~17 regressors. simple-statistics only fits a line on one regressor, so the solve of the
 * normal equations uses ml-matrix (LU); the cross products are summed here in plain arrays to keep it fast.
 */
export const fourierRegression: Model = {
  name: 'regression-fourier',
  minLength: (stepMs) => 2 * stepsPerDay(stepMs),
  fit({ values, startMs, stepMs }: FitInput) {
    const keep = Math.min(values.length, FIT_DAYS * stepsPerDay(stepMs));
    const first = values.length - keep;
    // Time in days from the end of the fit window, so the trend coefficient is GPUs per day.
    const tOf = (i: number) => ((i - values.length) * stepMs) / DAY_MS;
    const width = WIDTH;
    const xtx = Array.from({ length: width }, () => new Array<number>(width).fill(0));
    const xty = new Array<number>(width).fill(0);
    for (let i = first; i < values.length; i++) {
      const x = features(startMs + i * stepMs, tOf(i));
      const y = values[i]!;
      for (let a = 0; a < width; a++) {
        xty[a]! += x[a]! * y;
        const row = xtx[a]!;
        for (let b = a; b < width; b++) row[b]! += x[a]! * x[b]!;
      }
    }
    for (let a = 0; a < width; a++) {
      xtx[a]![a]! += RIDGE * keep;
      for (let b = 0; b < a; b++) xtx[a]![b] = xtx[b]![a]!;
    }
    const beta = solve(new Matrix(xtx), Matrix.columnVector(xty)).to1DArray();
    return {
      predict(h) {
        return Array.from({ length: h }, (_, k) => {
          const i = values.length + k;
          const x = features(startMs + i * stepMs, tOf(i));
          return x.reduce((sum, v, j) => sum + v * beta[j]!, 0);
        });
      },
    };
  },
};
