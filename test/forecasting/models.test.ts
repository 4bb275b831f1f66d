import { describe, expect, it } from 'vitest';
import {
  BASE_MODELS,
  forecastSeries,
  fourierRegression,
  holtWinters,
  InsufficientHistoryError,
  levelProfile,
  seasonalNaiveDaily,
  seasonalNaiveWeekly,
  coverage,
  type Model,
} from '../../forecasting/index.ts';

const HOUR = 3_600_000;
/** Monday 2024-01-01 00:00 UTC. */
const START = Date.parse('2024-01-01T00:00:00Z');

const dailyCycle = (t: number) =>
  100 + 40 * Math.sin((2 * Math.PI * t) / 24) + 10 * Math.cos((4 * Math.PI * t) / 24);
const series = (length: number, f: (t: number) => number) => Array.from({ length }, (_, t) => f(t));

/** A seeded normal-ish noise (sum of uniforms), so tests are repeatable. */
function noise(seed: number) {
  let s = seed;
  const u = () => ((s = (s * 1103515245 + 12345) % 2147483648), s / 2147483648);
  return () => u() + u() + u() + u() - 2;
}

function maxError(model: Model, values: number[], truth: (t: number) => number, h = 24) {
  const forecast = model.fit({ startMs: START, stepMs: HOUR, values }).predict(h);
  return Math.max(...forecast.map((f, k) => Math.abs(f - truth(values.length + k))));
}

describe('models on series of known structure', () => {
  const values = series(28 * 24, dailyCycle);

  it.each([seasonalNaiveDaily, seasonalNaiveWeekly, holtWinters, fourierRegression, levelProfile])(
    '$name forecasts a pure daily cycle almost exactly',
    (model) => {
      // within 1 % of the cycle's 80-GPU swing
      expect(maxError(model, values, dailyCycle)).toBeLessThan(0.8);
    },
  );

  it('the regression draws a weekly shape with weekends', () => {
    const weekly = (t: number) => dailyCycle(t) - (Math.floor(t / 24) % 7 >= 5 ? 30 : 0);
    const v = series(28 * 24, weekly);
    // 28 days end on a Monday 00:00: the next 72 h are Monday–Wednesday, then the weekend comes later.
    expect(maxError(fourierRegression, v, weekly, 168)).toBeLessThan(8);
    expect(maxError(seasonalNaiveWeekly, v, weekly, 168)).toBeLessThan(1e-9);
  });

  it('a step change is followed: the level after the step, not the average over history', () => {
    const step = (t: number) => dailyCycle(t) + (t >= 25 * 24 ? 60 : 0);
    const v = series(28 * 24, step);
    for (const model of [holtWinters, levelProfile]) expect(maxError(model, v, step)).toBeLessThan(6);
    const result = forecastSeries({ startMs: START, stepMs: HOUR, values: v }, { horizon: 24 });
    const error = Math.max(...result.point.map((p, k) => Math.abs(p - step(v.length + k))));
    expect(error).toBeLessThan(6);
  });
});

describe('engine', () => {
  it('records every candidate with its scores, the chosen one first', () => {
    const next = noise(7);
    const values = series(30 * 24, (t) => dailyCycle(t) + 5 * next());
    const result = forecastSeries({ startMs: START, stepMs: HOUR, values }, { horizon: 24 });
    expect(result.scores[0]!.model).toBe(result.model);
    expect(result.scores.map((s) => s.model).sort()).toEqual(
      [...BASE_MODELS.map((m) => m.name), 'combination'].sort(),
    );
    const chosen = result.scores[0]!;
    for (const s of result.scores) expect(chosen.mase!).toBeLessThanOrEqual(s.mase!);
    for (let k = 0; k < 24; k++) {
      expect(result.p50[k]!).toBeLessThanOrEqual(result.p90[k]!);
      expect(result.p90[k]!).toBeLessThanOrEqual(result.p99[k]!);
    }
    expect(result.originIndices).toEqual([
      30 * 24 - 24 - 72,
      30 * 24 - 24 - 48,
      30 * 24 - 24 - 24,
      30 * 24 - 24,
    ]);
  });

  it('p90 covers about 90 % of new values on a noisy cycle, p50 about half', () => {
    const next = noise(11);
    const values = series(40 * 24, (t) => dailyCycle(t) + 8 * next());
    const actual: number[] = [];
    const p90: number[] = [];
    const p50: number[] = [];
    for (let origin = 30 * 24; origin + 24 <= values.length; origin += 24) {
      const r = forecastSeries(
        { startMs: START, stepMs: HOUR, values: values.slice(0, origin) },
        { horizon: 24, models: [holtWinters, seasonalNaiveDaily] },
      );
      actual.push(...values.slice(origin, origin + 24));
      p90.push(...r.p90);
      p50.push(...r.p50);
    }
    expect(coverage(actual, p90)).toBeGreaterThan(0.82);
    expect(coverage(actual, p90)).toBeLessThan(0.98);
    expect(coverage(actual, p50)).toBeGreaterThan(0.35);
    expect(coverage(actual, p50)).toBeLessThan(0.65);
  });

  it('refuses a series shorter than a day, and forecasts one too short for a backtest with naive bands', () => {
    expect(() =>
      forecastSeries({ startMs: START, stepMs: HOUR, values: [1, 2, 3] }, { horizon: 24 }),
    ).toThrow(InsufficientHistoryError);
    const short = forecastSeries(
      { startMs: START, stepMs: HOUR, values: series(30, dailyCycle) },
      { horizon: 24 },
    );
    expect(short.model).toBe('seasonal-naive-daily');
    expect(short.point).toHaveLength(24);
    expect(short.scores.every((s) => s.mase === null)).toBe(true);
  });
});
