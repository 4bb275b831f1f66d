import { describe, expect, it } from 'vitest';
import { simulatePolicy, type Policy } from '../../lib/sim/engine.ts';
import {
  onDemandPeakPolicy,
  reactiveOnDemandPolicy,
  spotFirstPolicy,
  spotReservedPolicy,
} from '../../lib/sim/policies/baselines.ts';
import { commitmentLevel } from '../../lib/sim/policies/cover.ts';
import { oraclePolicy } from '../../lib/sim/policies/oracle.ts';
import { holdingKey, type Scenario } from '../../lib/sim/scenario.ts';
import { twoZoneScenario } from './builders.ts';

/** Two weeks of a daily cycle between 16 and 80 GPUs; spot in zone b vanishes for a few hours each day. */
export function cycleScenario(): Scenario {
  const hours = 14 * 24;
  const demand = Array.from({ length: hours }, (_, h) =>
    Math.round(48 + 32 * Math.sin((2 * Math.PI * h) / 24)),
  );
  const spotB = Array.from({ length: hours }, (_, h) => (h % 24 >= 10 && h % 24 < 14 ? 2 : 50));
  return twoZoneScenario({
    name: 'cycle',
    hours,
    warmupHours: 7 * 24,
    demand,
    spotA: Array<number>(hours).fill(3),
    spotB,
    prices: { onDemand: 24_480_000n, reservedA: 15_000_000n, spotA: 9_000_000n, spotB: 7_500_000n },
  });
}

describe('the simulation engine', () => {
  const scenario = cycleScenario();
  const evaluated = scenario.classes[0]!.demandGpus.slice(scenario.warmupHours).reduce((a, b) => a + b, 0);

  it('serves demand on time or late, and no policy beats the floor of the oracle', async () => {
    const policies: Policy[] = [
      onDemandPeakPolicy(),
      reactiveOnDemandPolicy(),
      spotFirstPolicy(),
      spotReservedPolicy(undefined, 7 * 24),
    ];
    const oracle = oraclePolicy(scenario);
    const runs = await Promise.all([...policies, oracle].map((p) => simulatePolicy(scenario, p)));
    const floor = BigInt(Math.round((await oracle.solution()).floorUsd * 1e6));
    for (const run of runs) {
      // What was not served on time by the fleet was served late: service, not demand, is counted.
      expect(run.servedGpuHours + run.lateGpuHours, run.name).toBeCloseTo(run.demandGpuHours, 6);
      expect(run.penalizedCostUsd, run.name).toBeGreaterThanOrEqual(floor);
      expect(run.penalizedCostUsd, run.name).toBe(run.costUsd + run.latePenaltyUsd);
      expect(
        run.bill.reduce((a, l) => a + l.costUsd, 0n),
        `${run.name} bill sums to its cost`,
      ).toBe(run.costUsd);
      expect(run.hours).toHaveLength(scenario.hours - scenario.warmupHours);
    }
    const peak = runs.find((r) => r.name === 'on-demand-peak')!;
    expect(peak.lateGpuHours).toBe(0); // the peak was seen during warm-up
    expect(peak.servedGpuHours).toBeCloseTo(evaluated, 6);
    const reactive = runs.find((r) => r.name === 'reactive-on-demand')!;
    expect(reactive.costUsd).toBeLessThan(peak.costUsd);
    expect(reactive.lateGpuHours).toBeGreaterThan(0); // a one-hour lag misses every rise
  });

  it('interrupts spot that the market takes back and re-runs the lost work', async () => {
    const run = await simulatePolicy(scenario, spotFirstPolicy());
    expect(run.interruptions).toBeGreaterThan(0);
    expect(run.lostGpuHours).toBeGreaterThan(0);
    expect(run.demandGpuHours).toBeCloseTo(evaluated + run.lostGpuHours, 6);
  });

  it('bills reserved capacity every hour whether used or not', async () => {
    const always: Policy = {
      name: 'reserve-10',
      description: '',
      commitments: () => new Map([['a', 10]]),
      decide: () => new Map(),
    };
    const run = await simulatePolicy(scenario, always);
    const reservedLines = run.bill.filter((l) => l.option === 'reserved');
    expect(reservedLines).toHaveLength(scenario.hours - scenario.warmupHours);
    expect(reservedLines.every((l) => l.costUsd === 150_000_000n)).toBe(true);
    expect(run.lateGpuHours).toBe(0); // 80 reserved GPUs cover the peak of 80
    expect(run.idleGpuHours).toBeGreaterThan(0); // and sit idle at night
  });

  it('commits at the usage quantile of the price ratio', () => {
    const usage = Array.from({ length: 100 }, (_, i) => i);
    expect(commitmentLevel(usage, 40n, 100n)).toBe(59);
    expect(commitmentLevel(usage, 100n, 100n)).toBe(0);
    expect(holdingKey('a', 'spot')).toBe('a|spot');
  });
});
