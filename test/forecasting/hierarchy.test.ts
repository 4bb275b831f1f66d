import { describe, expect, it } from 'vitest';
import { adaptiveLevel, missShare } from '../../forecasting/conformal.ts';
import {
  forecastHierarchy,
  minTeamHistoryDaysFor,
  mintProjection,
  TOTAL,
  type TeamSeries,
} from '../../forecasting/hierarchy.ts';
import { Matrix } from 'ml-matrix';
import { HOUR_MS } from '../../lib/domain/time.ts';

const START_MS = Date.parse('2026-01-05T00:00:00Z');
const DAYS = 42;

/** A seeded uniform(−0.5, 0.5). */
function noise(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648 - 0.5;
  };
}

/** Hourly demand with a daily cycle of `base` GPUs and uniform noise of ± spread/2. */
function team(name: string, base: number, spread: number, seed: number, startDay = 0): TeamSeries {
  const draw = noise(seed);
  return {
    name,
    values: Array.from({ length: DAYS * 24 }, (_, t) =>
      t < startDay * 24
        ? 0
        : Math.max(0, base * (1 + 0.3 * Math.sin((2 * Math.PI * t) / 24)) + spread * draw()),
    ),
  };
}

describe('forecastHierarchy', () => {
  const teams = [team('vision', 40, 16, 7), team('speech', 24, 12, 11), team('search', 60, 20, 13)];
  const result = forecastHierarchy({ startMs: START_MS, stepMs: HOUR_MS, teams }, { horizon: 24 });

  it('gives forecasts that add up: the teams sum to the total every hour', () => {
    expect(result.teams.map((t) => t.name)).toEqual(['vision', 'speech', 'search']);
    for (let k = 0; k < 24; k++) {
      const sum = result.teams.reduce((s, t) => s + t.point[k]!, 0);
      expect(result.total.point[k]).toBeCloseTo(sum, 6);
    }
    expect(result.total.name).toBe(TOTAL);
  });

  it('pools risk: the total’s margin is smaller than the teams’ margins added up', () => {
    const margin = (s: { point: number[]; p90: number[] }) =>
      s.p90.reduce((a, v, k) => a + (v - s.point[k]!), 0);
    const teamsMargin = result.teams.reduce((a, t) => a + margin(t), 0);
    expect(margin(result.total)).toBeGreaterThan(0);
    expect(margin(result.total)).toBeLessThan(0.8 * teamsMargin);
  });

  it('gives a new team with a week of history a forecast from its share of the total', () => {
    const withNew = [...teams, team('new-team', 10, 2, 17, DAYS - 7)];
    const r = forecastHierarchy({ startMs: START_MS, stepMs: HOUR_MS, teams: withNew }, { horizon: 24 });
    const newcomer = r.teams.find((t) => t.name === 'new-team')!;
    expect(newcomer.source).toBe('share-of-total');
    const mean = newcomer.point.reduce((a, b) => a + b, 0) / 24;
    // Its level: about 10 GPUs of a total near 134.
    expect(mean).toBeGreaterThan(7);
    expect(mean).toBeLessThan(13);
    for (let k = 0; k < 24; k++)
      expect(r.total.point[k]).toBeCloseTo(
        r.teams.reduce((s, t) => s + t.point[k]!, 0),
        6,
      );
  });

  it('uses the reconciliation that scored better in its backtest', () => {
    const chosen = result.backtestError[result.method]!;
    for (const score of Object.values(result.backtestError)) expect(chosen).toBeLessThanOrEqual(score!);
    expect(result.shrinkage).toBeGreaterThanOrEqual(0);
    expect(result.shrinkage).toBeLessThanOrEqual(1);
  });
});

describe('mintProjection', () => {
  // Base forecasts [total, a, b] that disagree: the teams say 60, the total says 80.
  const base = [80, 30, 30];
  const reconcile = (variances: number[]) => {
    const w = new Matrix(3, 3);
    variances.forEach((v, i) => w.set(i, i, v));
    const p = mintProjection(w, 2);
    const teams = [0, 1].map((i) => base.reduce((s, v, j) => s + p.get(i, j) * v, 0));
    return { teams, total: teams[0]! + teams[1]! };
  };

  it('keeps the total where the total’s forecast is far surer than the teams’', () => {
    const r = reconcile([0.01, 100, 100]);
    expect(r.total).toBeCloseTo(80, 1);
    // The difference is split by the teams' variances: equal here.
    expect(r.teams[0]).toBeCloseTo(40, 1);
  });

  it('keeps the teams where theirs are far surer: bottom-up', () => {
    const r = reconcile([1e4, 0.01, 0.01]);
    expect(r.total).toBeCloseTo(60, 1);
  });

  it('moves the less sure team more', () => {
    const r = reconcile([1, 1, 9]);
    expect(r.teams[1]! - 30).toBeGreaterThan(r.teams[0]! - 30);
  });
});

describe('adaptiveLevel', () => {
  it('covers 90 % of hours even when the band was learnt on residuals half as wide as the real ones', () => {
    const draw = noise(5);
    const level = adaptiveLevel();
    // The band believes residuals are exponential with mean 0.5; they have mean 1.
    const upperAt = (q: number) => -0.5 * Math.log(1 - q);
    const fixedMisses: number[] = [];
    const adaptiveMisses: number[] = [];
    for (let day = 0; day < 400; day++) {
      const actual = Array.from({ length: 24 }, () => -Math.log(draw() + 0.5 + 1e-12));
      fixedMisses.push(
        missShare(
          actual,
          actual.map(() => upperAt(0.9)),
        ),
      );
      const miss = missShare(
        actual,
        actual.map(() => upperAt(level.level)),
      );
      adaptiveMisses.push(miss);
      level.observe(miss);
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(fixedMisses)).toBeGreaterThan(0.25);
    expect(mean(adaptiveMisses.slice(100))).toBeGreaterThan(0.07);
    expect(mean(adaptiveMisses.slice(100))).toBeLessThan(0.13);
  });

  it('stays within its bounds through a long run of misses, and comes back', () => {
    const level = adaptiveLevel({ maxLevel: 0.99 });
    for (let i = 0; i < 100; i++) level.observe(1);
    expect(level.level).toBeCloseTo(0.99, 6);
    for (let i = 0; i < 100; i++) level.observe(0);
    expect(level.level).toBeLessThan(0.9);
  });
});

describe('minTeamHistoryDaysFor', () => {
  it('asks a team for half the group’s history, two weeks at most, a day at least', () => {
    expect(minTeamHistoryDaysFor(14 * 24, HOUR_MS)).toBe(7);
    expect(minTeamHistoryDaysFor(60 * 24, HOUR_MS)).toBe(14);
    expect(minTeamHistoryDaysFor(20, HOUR_MS)).toBe(1);
  });
});
