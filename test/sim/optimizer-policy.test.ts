import { describe, expect, it } from 'vitest';
import { policyView, simulatePolicy } from '../../lib/sim/engine.ts';
import { reactiveOnDemandPolicy, spotFirstPolicy } from '../../lib/sim/policies/baselines.ts';
import { planHourAhead, type HourAheadInput } from '../../lib/optimizer/hour-ahead.ts';
import { pooledCommitment } from '../../lib/sim/policies/cover.ts';
import { forecastSamples, plannedUsage } from '../../lib/sim/policies/hour-ahead.ts';
import { displacedBlend, optimizerPolicy } from '../../lib/sim/policies/optimizer.ts';
import { solveOracle } from '../../lib/sim/policies/oracle.ts';
import type { Scenario } from '../../lib/sim/scenario.ts';
import { twoZoneScenario } from './builders.ts';

/** A daily cycle with four-hour ramps, noise and a jump every 61 hours; spot in zone b dips every afternoon. */
function rampScenario(): Scenario {
  const hours = 12 * 24;
  let seed = 7;
  const noise = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31 - 0.5;
  };
  const demand = Array.from({ length: hours }, (_, h) => {
    const hod = h % 24;
    const ramp = 40 * Math.min(1, Math.max(0, Math.min(hod - 7, 18 - hod) / 4));
    const jump = h % 61 === 0 ? 24 : 0;
    return Math.max(0, Math.round(60 + ramp + jump + 12 * noise()));
  });
  const spotB = Array.from({ length: hours }, (_, h) => (h % 24 >= 13 && h % 24 < 16 ? 1 : 12));
  return twoZoneScenario({
    name: 'ramps',
    hours,
    warmupHours: 8 * 24,
    demand,
    spotA: Array<number>(hours).fill(8),
    spotB,
    prices: { onDemand: 24_480_000n, reservedA: 15_400_000n, spotA: 4_500_000n, spotB: 4_500_000n },
  });
}

const baseInput: HourAheadInput = {
  history: [],
  forecast: 0,
  forecastMisses: [],
  coverage: 0.97,
  minHeadroom: 0.02,
  spotMarginFactor: 1.5,
  windowHours: 168,
  minSamples: 24,
};

describe('the hour-ahead plan', () => {
  it('plans at least the last hour plus the minimum headroom when demand is flat', () => {
    const next = planHourAhead({ ...baseInput, history: Array<number>(48).fill(100), forecast: 90 });
    expect(next.plan).toBeCloseTo(102);
    expect(next.spotPlan).toBeCloseTo(102);
  });

  it('covers the usual hourly rise even when the model expects a fall', () => {
    // A sawtooth: +10 an hour for five hours, then back down; the model (wrongly) expects 50 next.
    const history = Array.from({ length: 120 }, (_, h) => 100 + 10 * (h % 6));
    const next = planHourAhead({ ...baseInput, history, forecast: 50 });
    expect(next.plan).toBeGreaterThanOrEqual(history[history.length - 1]! + 10);
  });

  it("follows the model's forecast and its own misses when they ask for more", () => {
    const history = Array<number>(48).fill(100);
    const forecastMisses = Array.from({ length: 48 }, (_, i) => (i % 2 === 0 ? 6 : -6));
    const next = planHourAhead({ ...baseInput, history, forecast: 130, forecastMisses });
    expect(next.plan).toBeCloseTo(136);
  });

  it('holds spot for the largest recent rise, but a single jump raises it no more than the factor allows', () => {
    // Rises of 4 every other hour and one jump of 100: the coverage margin is 4, the spot margin at most 6.
    const history = [100];
    for (let h = 1; h < 100; h++) history.push(history[h - 1]! + (h === 50 ? 100 : h % 2 === 0 ? 4 : -4));
    const last = history[history.length - 1]!;
    const next = planHourAhead({ ...baseInput, history, forecast: last });
    expect(next.plan).toBeCloseTo(last + 4);
    expect(next.spotPlan).toBeCloseTo(last + 6);
    const uncapped = planHourAhead({ ...baseInput, history, forecast: last, spotMarginFactor: 100 });
    expect(uncapped.spotPlan).toBeCloseTo(last + 100);
  });
});

describe('the commitment usage', () => {
  it('adds the plan margin and moves a sliding month halfway towards where it ends', () => {
    const falling = Array.from({ length: 100 }, (_, h) => 300 - h);
    const usage = plannedUsage(falling, { coverage: 0.97, minHeadroom: 0, trendWeight: 0.5 });
    // Slope −1 an hour: the first hour moves 99 × 0.5 down, the last not at all; the hourly change is never above −1.
    expect(usage[0]).toBeCloseTo(300 - 49.5);
    expect(usage[99]).toBeCloseTo(201);
    const flat = plannedUsage(Array<number>(50).fill(500), {
      coverage: 0.97,
      minHeadroom: 0.02,
      trendWeight: 0.5,
    });
    expect(flat.every((u) => Math.abs(u - 510) < 1e-9)).toBe(true);
  });
});

/** Two teams of one scenario, each with its own demand, sharing instances or holding their own. */
function twoTeams(a: readonly number[], b: readonly number[], sharing: 'shared' | 'dedicated'): Scenario {
  const base = twoZoneScenario({
    name: 'two-teams',
    hours: a.length,
    warmupHours: a.length,
    demand: a,
    spotA: Array<number>(a.length).fill(0),
    spotB: Array<number>(a.length).fill(0),
    prices: { onDemand: 24_480_000n, reservedA: 15_400_000n, spotA: 7_344_000n, spotB: 7_344_000n },
  });
  const [train] = base.classes;
  return {
    ...base,
    sharing,
    classes: [train!, { workload: { ...train!.workload, id: 'serve', team: 'web' }, demandGpus: b }],
  };
}

const empty = new Map<string, number>();
const viewAtEnd = (scenario: Scenario) =>
  policyView(scenario, scenario.hours, {
    holdings: empty,
    reserved: empty,
    committed: empty,
    interruptedNow: empty,
  });

describe('the reservation sized over the teams a pool serves', () => {
  it('commits to the sum of teams that take turns, where each team alone would commit to nothing', () => {
    // Each team needs 16 GPUs half the time, never together: the pool always serves 16.
    const a = Array.from({ length: 240 }, (_, h) => (h % 2 === 0 ? 16 : 0));
    const b = a.map((x) => 16 - x);
    const view = viewAtEnd(twoTeams(a, b, 'shared'));
    const all = (id: string) => view.demandHistory(id);
    expect(pooledCommitment(view, all)).toEqual(new Map([['a', 2]]));
    // The per-team rule this replaced: each team's break-even level (0.63 of hours used) is 0.
    for (const id of ['train', 'serve']) {
      const alone = pooledCommitment(view, (c) => (c === id ? all(c) : []));
      expect(alone.get('a') ?? 0).toBe(0);
    }
    // The same rule asked to size class by class (the ablation's baseline) adds those zeros up.
    expect(pooledCommitment(view, all, true).get('a') ?? 0).toBe(0);
  });

  it('class by class, floors each team to whole instances before adding them up', () => {
    // Two steady teams of 4 GPUs on 8-GPU instances: together one instance, alone none each.
    const four = Array<number>(240).fill(4);
    const view = viewAtEnd(twoTeams(four, four, 'shared'));
    expect(pooledCommitment(view, () => four)).toEqual(new Map([['a', 1]]));
    expect(pooledCommitment(view, () => four, true).get('a') ?? 0).toBe(0);
    const twelve = Array<number>(240).fill(12);
    expect(pooledCommitment(viewAtEnd(twoTeams(twelve, twelve, 'shared')), () => twelve, true)).toEqual(
      new Map([['a', 2]]),
    );
  });

  it('breaks even against what a committed hour displaces: spot and on-demand when spot is dearer', () => {
    const view = viewAtEnd(twoTeams(Array<number>(240).fill(16), Array<number>(240).fill(0), 'shared'));
    const pool = view.scenario.pools.find((p) => p.usdPerHour.reserved !== undefined)!;
    const classOf = (id: string) =>
      id === 'train' ? { spotShare: 0.6, gpuHours: 300 } : { spotShare: 0, gpuHours: 100 };
    // Spot under the commitment's price per GPU: spot takes its share, the commitment displaces on-demand only.
    expect(displacedBlend(pool, 7_344_000 / 8, classOf, ['train', 'serve'])).toBeUndefined();
    // Spot above it: the hours displaced are 45 % spot (the usage-weighted share) and 55 % on-demand.
    expect(displacedBlend(pool, 18_000_000 / 8, classOf, ['train', 'serve'])).toBe(
      BigInt(Math.round(0.45 * 18_000_000 + 0.55 * 24_480_000)),
    );
    // 16 GPUs used in 70 % of hours: worth committing against on-demand (break-even 63 %), not against the blend
    // (15.40 / 21.56 = 71 %).
    const usage = Array.from({ length: 240 }, (_, h) => (h % 10 < 7 ? 16 : 0));
    const only = (id: string) => (id === 'train' ? usage : []);
    expect(pooledCommitment(view, only)).toEqual(new Map([['a', 2]]));
    expect(
      pooledCommitment(view, only, false, (p, ids) => displacedBlend(p, 18_000_000 / 8, classOf, ids)).get(
        'a',
      ) ?? 0,
    ).toBe(0);
  });

  it('counts whole instances per team when teams hold their own', () => {
    const four = Array<number>(240).fill(4);
    expect(pooledCommitment(viewAtEnd(twoTeams(four, four, 'shared')), () => four)).toEqual(
      new Map([['a', 1]]),
    );
    expect(pooledCommitment(viewAtEnd(twoTeams(four, four, 'dedicated')), () => four)).toEqual(
      new Map([['a', 2]]),
    );
  });
});

describe('the forecast as samples for the commitment', () => {
  it('spreads each coming hour over its band and skips the hours already past', () => {
    const fit = { fittedAtHour: 10, p50: [100, 100, 100], p90: [120, 120, 150] };
    const samples = forecastSamples(fit, 11);
    // Two hours left at five levels each, grouped by level: the lowest level first.
    expect(samples).toHaveLength(10);
    expect(samples.slice(0, 2)).toEqual([80, 50]);
    expect(samples.slice(4, 6)).toEqual([100, 100]);
    expect(samples.slice(8, 10)).toEqual([120, 150]);
    expect(Math.min(...forecastSamples({ fittedAtHour: 0, p50: [5], p90: [20] }, 0))).toBe(0);
  });
});

describe('the optimizer policy over ramps and jumps', () => {
  it('is late less than the reactive peers when lateness is dear, not cheaper than the floor, and repeats itself', async () => {
    // At ten on-demand GPU-hours per late GPU-hour the first hour's margin covers nearly every recent miss.
    const scenario = { ...rampScenario(), latePenaltyMultiplier: 10 };
    const [optimizer, again, reactive, spotFirst, oracle] = await Promise.all([
      simulatePolicy(scenario, optimizerPolicy()),
      simulatePolicy(scenario, optimizerPolicy()),
      simulatePolicy(scenario, reactiveOnDemandPolicy()),
      simulatePolicy(scenario, spotFirstPolicy()),
      solveOracle(scenario),
    ]);
    expect(optimizer.lateGpuHours).toBeLessThan(reactive.lateGpuHours);
    expect(optimizer.lateGpuHours).toBeLessThan(spotFirst.lateGpuHours);
    // The decision is the optimize run's (no simulator-only fitting): it holds its plan's margin, so it is
    // late less than the peers that follow the last hour; whether it is also cheaper is what bench:simulate
    // measures, not something a test may assume.
    expect(Number(optimizer.penalizedCostUsd)).toBeGreaterThanOrEqual(oracle.floorUsd * 1e6);
    expect(again.penalizedCostUsd).toBe(optimizer.penalizedCostUsd);
    expect(again.lateGpuHours).toBe(optimizer.lateGpuHours);
    // Five runs of a month with the LP each hour: 15 s alone, more beside the other test files on two cores.
  }, 120_000);
});

describe('the optimizer policy taking over from a running deployment', () => {
  it('plans its first hour on the week of forecasts a running deployment issued, as one that ran all along', async () => {
    const planned = async (warmupHours: number, forecastWarmupHours?: number) => {
      const hours = new Map<number, number>();
      await simulatePolicy(
        { ...rampScenario(), warmupHours },
        optimizerPolicy({
          ...(forecastWarmupHours === undefined ? {} : { forecastWarmupHours }),
          onDemandForecast: (hour, gpus) => hours.set(hour, gpus),
        }),
      );
      return hours;
    };
    const first = 8 * 24;
    // One that has decided every hour since its first day, and one that takes over on day 8.
    const [allAlong, takesOver, firstDay] = await Promise.all([
      planned(24, 0),
      planned(first),
      planned(first, 0),
    ]);
    expect(takesOver.get(first)).toBeDefined();
    expect(takesOver.get(first)).toBe(allAlong.get(first));
    // Without the week's forecasts the first hour is planned on the p90 moved by the last miss instead.
    expect(firstDay.get(first)).not.toBe(allAlong.get(first));
  }, 120_000);
});
