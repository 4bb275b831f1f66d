// The floor: perfect foresight of demand and spot availability, physical limits only.
import { holdingKey, ownedHoldings, spotAvailableAt, type Scenario } from '../scenario.ts';
import type { Policy } from '../engine.ts';
import { cheapestPool, coverDemand } from './cover.ts';

/**
 * Each hour the oracle holds exactly what that hour's demand needs, cheapest first (spot where it will not
 * be interrupted, up to each class's share), and commits to the reserved level that minimises the whole
 * run's cost, found by trying every level. No churn cost, no spot cap, no risk term.
 */
export function oraclePolicy(scenario: Scenario): Policy {
  const demandAt = (hour: number) =>
    new Map(scenario.classes.map((c) => [c.workload.id, c.demandGpus[hour] ?? 0]));
  const holdFor = (hour: number, held: ReadonlyMap<string, number>) =>
    coverDemand(scenario, demandAt(hour), {
      useSpot: true,
      // Spot held into the next hour must still be there then, or the market takes it back.
      spotLimit: (poolId) => {
        const sp = scenario.pools.find((p) => p.pool.id === poolId)!;
        return Math.min(spotAvailableAt(sp, hour), spotAvailableAt(sp, hour + 1));
      },
      held,
    });

  function runCost(reserved: ReadonlyMap<string, number>): bigint {
    const held = new Map([
      ...ownedHoldings(scenario),
      ...[...reserved].map(([poolId, n]) => [holdingKey(poolId, 'reserved'), n] as const),
    ]);
    let total = 0n;
    for (let hour = scenario.warmupHours; hour < scenario.hours; hour++) {
      for (const [key, n] of [...holdFor(hour, held), ...held]) {
        const at = key.lastIndexOf('|');
        const sp = scenario.pools.find((p) => p.pool.id === key.slice(0, at))!;
        total += (sp.usdPerHour[key.slice(at + 1) as 'spot'] ?? 0n) * BigInt(n);
      }
    }
    return total;
  }

  function bestCommitment(): Map<string, number> {
    let best = new Map<string, number>();
    for (const c of scenario.classes) {
      const pool = cheapestPool(scenario, c.workload.id, 'reserved');
      if (!pool) continue;
      const peak = Math.max(0, ...c.demandGpus.slice(scenario.warmupHours));
      const maxLevel = Math.ceil(peak / pool.pool.gpusPerInstance);
      let bestCost = runCost(best);
      let bestLevel = 0;
      // The run's cost is convex in the committed level; walk up while it falls, in coarse then fine steps.
      const step = Math.max(1, Math.floor(maxLevel / 40));
      for (let level = step; level <= maxLevel; level += step) {
        const cost = runCost(new Map([...best, [pool.pool.id, level]]));
        if (cost < bestCost) {
          bestCost = cost;
          bestLevel = level;
        }
      }
      for (
        let level = Math.max(0, bestLevel - step + 1);
        level <= Math.min(maxLevel, bestLevel + step - 1);
        level++
      ) {
        const cost = runCost(new Map([...best, [pool.pool.id, level]]));
        if (cost < bestCost) {
          bestCost = cost;
          bestLevel = level;
        }
      }
      if (bestLevel > 0) best = new Map([...best, [pool.pool.id, bestLevel]]);
    }
    return best;
  }

  return {
    name: 'oracle',
    description: 'perfect foresight of demand and spot availability; physical limits only (the floor)',
    commitments: () => bestCommitment(),
    decide(view) {
      return holdFor(view.hour, view.committed);
    },
  };
}
