// Holt-Winters, additive seasonality with a damped trend, its smoothing constants chosen by one-step error.
import { mean } from 'simple-statistics';
import type { FitInput, FittedModel, Model } from './model.ts';
import { stepsPerDay } from '../series.ts';

export interface HoltWintersParams {
  alpha: number;
  beta: number;
  gamma: number;
  phi: number;
}

/** A small grid: a finer search costs time on 1,000 series and rarely moves the 24-h error. */
const GRID: HoltWintersParams[] = [];
for (const alpha of [0.1, 0.3, 0.6, 0.9])
  for (const beta of [0.01, 0.1])
    for (const gamma of [0.05, 0.2, 0.4]) GRID.push({ alpha, beta, gamma, phi: 0.9 });

/** Fit on at most this many recent days: older history barely moves the smoothed state and costs time. */
const FIT_DAYS = 56;

interface State {
  level: number;
  trend: number;
  seasonal: Float64Array;
  /** Index (mod period) of the season slot the next step falls in. */
  next: number;
  sse: number;
}

function run(values: readonly number[], period: number, p: HoltWintersParams): State {
  const first = values.slice(0, period);
  const second = values.slice(period, 2 * period);
  let level = mean(first);
  let trend = second.length === period ? (mean(second) - level) / period : 0;
  const seasonal = Float64Array.from(first, (v) => v - level);
  let sse = 0;
  for (let t = period; t < values.length; t++) {
    const s = seasonal[t % period]!;
    const y = values[t]!;
    const oneStep = level + p.phi * trend + s;
    sse += (y - oneStep) ** 2;
    const previousLevel = level;
    level = p.alpha * (y - s) + (1 - p.alpha) * (previousLevel + p.phi * trend);
    trend = p.beta * (level - previousLevel) + (1 - p.beta) * p.phi * trend;
    seasonal[t % period] = p.gamma * (y - level) + (1 - p.gamma) * s;
  }
  return { level, trend, seasonal, next: values.length % period, sse };
}

export function fitHoltWinters(
  values: readonly number[],
  period: number,
  params?: HoltWintersParams,
): FittedModel & { params: HoltWintersParams } {
  const grid = params ? [params] : GRID;
  let best: { state: State; params: HoltWintersParams } | undefined;
  for (const p of grid) {
    const state = run(values, period, p);
    if (!best || state.sse < best.state.sse) best = { state, params: p };
  }
  const { state, params: chosen } = best!;
  return {
    params: chosen,
    predict(h) {
      const out: number[] = [];
      let damp = 0;
      for (let k = 1; k <= h; k++) {
        damp += chosen.phi ** k;
        out.push(state.level + damp * state.trend + state.seasonal[(state.next + k - 1) % period]!);
      }
      return out;
    },
  };
}

/** Holt-Winters with a daily season. */
export const holtWinters: Model = {
  name: 'holt-winters',
  minLength: (stepMs) => 2 * stepsPerDay(stepMs),
  fit({ values, stepMs }: FitInput) {
    const period = stepsPerDay(stepMs);
    return fitHoltWinters(values.slice(-FIT_DAYS * period), period);
  },
};
