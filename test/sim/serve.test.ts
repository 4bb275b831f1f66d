// One hour of service: held instances serve as much demand on time as the rules allow, shared or dedicated.
import { describe, expect, it } from 'vitest';
import { serveHour } from '../../lib/sim/serve.ts';
import { holdingKey, pricedAt } from '../../lib/sim/scenario.ts';
import { twoZoneScenario } from './builders.ts';

const base = twoZoneScenario({
  name: 'hour',
  hours: 1,
  warmupHours: 0,
  demand: [0],
  spotA: [4],
  spotB: [4],
  prices: { onDemand: 24_480_000n, reservedA: 15_000_000n, spotA: 9_000_000n, spotB: 7_500_000n },
});
const train = base.classes[0]!; // 60 % on spot
const classes = [
  train,
  { ...train, workload: { ...train.workload, id: 'serve', team: 'web', spotShare: 0 } },
];
const pools = base.pools.map((p) => pricedAt(p, 0));
const late = (service: ReturnType<typeof serveHour>) =>
  Object.fromEntries(service.classes.map((c) => [c.classId, Number(c.shortfallGpus.toFixed(6))]));

describe('one hour of service', () => {
  it('shared: a class that may run on spot leaves the reserved instances to one that may not', () => {
    // train (listed first) could take the reserved GPUs it reaches first; then serve, which may not use spot,
    // would be late while spot sits idle.
    const held = new Map([
      [holdingKey('a', 'reserved'), 2],
      [holdingKey('a', 'spot'), 1],
    ]);
    const demand = new Map([
      ['train', 8],
      ['serve', 16],
    ]);
    const service = serveHour(
      pools,
      [{ ...classes[0]!, workload: { ...train.workload, spotShare: 1 } }, classes[1]!],
      demand,
      held,
    );
    expect(late(service)).toEqual({ train: 0, serve: 0 });
    expect(service.idleGpus).toBeCloseTo(0, 9);
  });

  it('dedicated: spot within the share first, whole instances next, and the smallest remainder is the one late', () => {
    // Six 8-GPU instances for 40.3 + 5.7 GPUs: one team must be late. Late by 0.3 GPU, not 5.7.
    const held = new Map([
      [holdingKey('a', 'reserved'), 4],
      [holdingKey('a', 'on-demand'), 1],
      [holdingKey('b', 'spot'), 1],
    ]);
    const demand = new Map([
      ['train', 40.3],
      ['serve', 5.7],
    ]);
    const service = serveHour(pools, classes, demand, held, 'dedicated');
    expect(late(service)).toEqual({ train: 0.3, serve: 0 });
    // Each team holds whole instances of its own.
    const byTeamKey = new Map<string, number>();
    for (const a of service.allocations)
      byTeamKey.set(`${a.classId} ${a.key}`, (byTeamKey.get(`${a.classId} ${a.key}`) ?? 0) + a.gpus);
    const instances = [...byTeamKey.values()].reduce((a, g) => a + Math.ceil(g / 8 - 1e-9), 0);
    expect(instances).toBeLessThanOrEqual(6);
  });
});
