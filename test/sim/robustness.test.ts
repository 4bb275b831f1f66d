// The corners of the sweep finish on small scenarios: 1- and 8-GPU instances, spot shares 0.2 and 0.8, spot at 0.3 and 0.7 of on-demand.
import { describe, expect, it } from 'vitest';
import { simulatePolicy } from '../../lib/sim/engine.ts';
import { spotReservedPolicy } from '../../lib/sim/policies/baselines.ts';
import { optimizerPolicy } from '../../lib/sim/policies/optimizer.ts';
import { solveOracle } from '../../lib/sim/policies/oracle.ts';
import type { Scenario } from '../../lib/sim/scenario.ts';
import { twoZoneScenario } from './builders.ts';

function corner(gpusPerInstance: number, spotShare: number, spotRatio: number): Scenario {
  const hours = 8 * 24 + 12;
  const onDemand = (24_480_000n / 8n) * BigInt(gpusPerInstance);
  const spot = BigInt(Math.round(Number(onDemand) * spotRatio));
  const base = twoZoneScenario({
    name: `corner-${gpusPerInstance}-${spotShare}-${spotRatio}`,
    hours,
    warmupHours: 8 * 24,
    demand: Array.from({ length: hours }, (_, h) =>
      Math.max(0, 20 + 14 * Math.sin((2 * Math.PI * h) / 24) + (h % 37 === 0 ? 9 : 0)),
    ),
    spotA: Array.from({ length: hours }, (_, h) => (h % 24 < 6 ? 0 : Math.ceil(24 / gpusPerInstance))),
    spotB: Array<number>(hours).fill(Math.ceil(12 / gpusPerInstance)),
    prices: { onDemand, reservedA: (onDemand * 6n) / 10n, spotA: spot, spotB: spot },
  });
  return {
    ...base,
    pools: base.pools.map((p) => ({ ...p, pool: { ...p.pool, gpusPerInstance } })),
    classes: base.classes.map((c) => ({ ...c, workload: { ...c.workload, spotShare } })),
  };
}

describe('robustness corners', () => {
  it.each([
    [1, 0.2, 0.3],
    [8, 0.8, 0.7],
  ])(
    '%i-GPU instances, spot share %f, spot at %f × on-demand: every policy finishes above the floor',
    async (gpus, share, ratio) => {
      const scenario = corner(gpus, share, ratio);
      const floor = (await solveOracle(scenario)).floorUsd * 1e6;
      for (const policy of [optimizerPolicy({ config: { horizonHours: 24 } }), spotReservedPolicy()]) {
        const run = await simulatePolicy(scenario, policy);
        expect(run.hours).toHaveLength(12);
        expect(Number(run.penalizedCostUsd), policy.name).toBeGreaterThanOrEqual(floor - 1);
      }
    },
    120_000,
  );
});
