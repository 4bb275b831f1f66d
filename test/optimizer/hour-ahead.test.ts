import { describe, expect, it } from 'vitest';
import type { Forecast } from '../../lib/domain/forecast.ts';
import { HOUR_MS, toRfc3339 } from '../../lib/domain/time.ts';
import { hourAheadFromHistory } from '../../lib/optimizer/hour-ahead.ts';

const T = Date.UTC(2026, 10, 2, 12);
const settings = { coverage: 0.97, minHeadroom: 0.02, spotMarginFactor: 1, windowHours: 168, minSamples: 24 };

function issued(atMs: number, point: number): Forecast {
  return {
    classId: 'train',
    issuedAt: toRfc3339(atMs),
    stepSeconds: 3600,
    model: 'combination',
    scores: [],
    steps: [0, 1].map((h) => ({
      at: toRfc3339(atMs + h * HOUR_MS),
      point,
      p50: point,
      p90: point * 1.1,
      p99: point * 1.2,
    })),
  };
}

const flat = (gpus: number, hours: number) =>
  Array.from({ length: hours }, (_, i) => ({ hourStartMs: T - (hours - i) * HOUR_MS, gpus }));

describe('the hour-ahead plan from stored demand and forecasts', () => {
  it('moves a forecast that is stuck above a level shift down by its last miss', () => {
    // Demand has stood at 2,064 for a day; the model still says 2,540.
    const ahead = hourAheadFromHistory({
      startMs: T,
      actual: flat(2064, 24),
      pastForecasts: [issued(T - HOUR_MS, 2540)],
      forecastNow: 2540,
      settings,
    });
    expect(ahead.lastMiss).toBe(2064 - 2540);
    expect(ahead.scoredForecasts).toBe(1);
    // The last level plus the 2 % headroom, not the stale forecast.
    expect(ahead.plan).toBeCloseTo(2064 * 1.02, 6);
  });

  it('corrects a steady bias in full, and never plans below the last hour', () => {
    // The forecast has run 50 GPUs low every hour of the week: moved by its last miss it is right.
    const actual = flat(1000, 168);
    const past = actual.map((a) => issued(a.hourStartMs, 950));
    const ahead = hourAheadFromHistory({
      startMs: T,
      actual,
      pastForecasts: past,
      forecastNow: 950,
      settings,
    });
    expect(ahead.scoredForecasts).toBe(168);
    expect(ahead.plan).toBeCloseTo(1020, 6);
    const quiet = hourAheadFromHistory({ startMs: T, actual, pastForecasts: [], forecastNow: 10, settings });
    expect(quiet.plan).toBeCloseTo(1020, 6);
  });

  it('keeps a margin for misses the last hour does not explain', () => {
    // Demand alternates 1,000 / 1,200; the forecast says 1,000 every hour.
    const actual = Array.from({ length: 168 }, (_, i) => ({
      hourStartMs: T - (168 - i) * HOUR_MS,
      gpus: i % 2 === 0 ? 1000 : 1200,
    }));
    const past = actual.map((a) => issued(a.hourStartMs, 1000));
    const ahead = hourAheadFromHistory({
      startMs: T,
      actual,
      pastForecasts: past,
      forecastNow: 1000,
      settings,
    });
    // Last hour (1,200) was 200 over: the forecast moves to 1,200, and the misses of that move are ±200.
    expect(ahead.plan).toBeCloseTo(1400, 6);
  });

  it('reads gaps as the last known level, not as zero', () => {
    const actual = [...flat(500, 10)].filter((_, i) => i % 3 !== 0);
    const ahead = hourAheadFromHistory({ startMs: T, actual, pastForecasts: [], forecastNow: 0, settings });
    expect(ahead.plan).toBeCloseTo(510, 6);
  });
});

describe('the hour-ahead plan’s coverage', () => {
  it('covers the share of hours it is asked to, not more, when the model and persistence both miss', () => {
    // Demand scatters around 1,000; a fair model sees most of each move, with a miss of its own.
    let state = 7;
    const uniform = () => {
      state = (state * 1103515245 + 12345) % 2147483648;
      return (2 * state) / 2147483648 - 1;
    };
    const hours = 24 * 21;
    const start = T - hours * HOUR_MS;
    const demand = Array.from({ length: hours }, () => 1000 + 100 * uniform());
    const point = demand.map((d) => d - 50 * uniform());
    const at = (h: number) => start + h * HOUR_MS;
    const asked = { ...settings, coverage: 0.9, minHeadroom: 0 };
    let covered = 0;
    let planned = 0;
    for (let h = 24 * 14; h < hours; h++) {
      const from = h - asked.windowHours;
      const ahead = hourAheadFromHistory({
        startMs: at(h),
        actual: demand.slice(from, h).map((gpus, i) => ({ hourStartMs: at(from + i), gpus })),
        pastForecasts: point.slice(from, h).map((p, i) => issued(at(from + i), p)),
        forecastNow: point[h]!,
        settings: asked,
      });
      planned++;
      if (demand[h]! <= ahead.plan) covered++;
    }
    // The higher of two plans, each at the 90th percentile of its own misses, covered 99 % of these hours.
    expect(covered / planned).toBeGreaterThan(0.85);
    expect(covered / planned).toBeLessThan(0.95);
  });
});
