// The system replay's placement: whole GPUs of each class on the live nodes, as the fast engine serves held capacity.
import { describe, expect, it } from 'vitest';
import type { FleetNode } from '../../lib/domain/fleet.ts';
import type { PurchaseOption } from '../../lib/domain/pool.ts';
import { placeDemand } from '../../lib/sim/system/agent.ts';
import { twoZoneScenario } from './builders.ts';

const scenario = twoZoneScenario({
  name: 'placement',
  hours: 1,
  warmupHours: 0,
  demand: [0],
  spotA: [4],
  spotB: [4],
  prices: { onDemand: 24_480_000n, reservedA: 15_000_000n, spotA: 7_000_000n, spotB: 9_000_000n },
}); // one class, `train`, 60 % of it on spot; 8-GPU nodes

function node(nodeId: string, poolId: string, purchaseOption: PurchaseOption): FleetNode {
  return {
    nodeId,
    provider: 'aws',
    poolId,
    region: 'us-east-1',
    zone: poolId,
    instanceType: 'p3.16xlarge',
    purchaseOption,
    state: 'running',
    gpuModel: 'V100',
    gpuCount: 8,
    launchedAt: '2026-01-04T00:00:00Z',
    labels: {},
    managed: true,
    protected: false,
    runningJobs: [],
  };
}

const placedOf = (placement: ReturnType<typeof placeDemand>) =>
  [...placement.byNode.values()].flat().reduce((a, p) => a + p.gpus, 0);

describe('placing an hour of demand on whole GPUs', () => {
  it('places every GPU a node has free: the spot share split in fractions is not lost to rounding', () => {
    // 7 GPUs: 4.2 may run on spot, 2.8 on on-demand; each part rounded down would leave one GPU short while
    // both nodes have free GPUs.
    const nodes = [node('i-spot', 'a', 'spot'), node('i-od', 'a', 'on-demand')];
    const placement = placeDemand(scenario, nodes, new Map([['train', 7]]));
    expect(placement.shortfall.size).toBe(0);
    expect(placedOf(placement)).toBe(7);
    expect(placement.idleGpus).toBe(16 - 7);
  });

  it('counts as short only what the live nodes cannot hold', () => {
    const placement = placeDemand(scenario, [node('i-od', 'a', 'on-demand')], new Map([['train', 11]]));
    expect(placedOf(placement)).toBe(8);
    expect(placement.shortfall.get('train')).toBe(3);
    expect(placement.idleGpus).toBe(0);
  });
});
