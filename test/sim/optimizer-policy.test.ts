import { describe, expect, it } from 'vitest';
import { simulatePolicy } from '../../lib/sim/engine.ts';
import { reactiveOnDemandPolicy, spotFirstPolicy } from '../../lib/sim/policies/baselines.ts';
import { planHourAhead, type HourAheadInput } from '../../lib/optimizer/hour-ahead.ts';
import { plannedUsage } from '../../lib/sim/policies/hour-ahead.ts';
import { optimizerPolicy } from '../../lib/sim/policies/optimizer.ts';
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
