import { describe, expect, it } from 'vitest';
import type { FleetNode } from '../../lib/domain/fleet.ts';
import type { Pool } from '../../lib/domain/pool.ts';
import { createMemoryCapacityProvider } from '../../lib/memory/capacity-provider.ts';
import { manualClock } from '../../lib/memory/clock.ts';
import { describeCapacityProviderContract } from '../contracts/capacity-provider-contract.ts';

const pool: Pool = {
  id: 'aws:us-east-1:us-east-1a:g5.xlarge',
  provider: 'aws',
  region: 'us-east-1',
  zone: 'us-east-1a',
  instanceType: 'g5.xlarge',
  gpuModel: 'A10G',
  gpusPerInstance: 1,
  gpuMemoryGiB: 24,
  interconnect: 'pcie',
  bootSeconds: 120,
};

function node(nodeId: string, extra: Partial<FleetNode> = {}): FleetNode {
  return {
    nodeId,
    provider: 'aws',
    poolId: pool.id,
    region: pool.region,
    zone: pool.zone,
    instanceType: pool.instanceType,
    purchaseOption: 'on-demand',
    state: 'running',
    gpuModel: 'A10G',
    gpuCount: 1,
    labels: { team: 'vision' },
    managed: true,
    protected: false,
    runningJobs: [],
    ...extra,
  };
}

describeCapacityProviderContract('in-memory', async () => ({
  provider: createMemoryCapacityProvider({
    pools: [pool],
    nodes: [node('i-managed'), node('i-protected', { protected: true })],
    capacity: { [`${pool.id}|spot`]: 3 },
  }),
  releasableNodeId: 'i-managed',
  protectedNodeId: 'i-protected',
  releaseMethod: 'stop',
  launch: { poolId: pool.id, option: 'spot', available: 3 },
}));

describe('in-memory fleet', () => {
  it('stamps launches with the clock and refuses methods the fleet does not offer', async () => {
    const clock = manualClock(Date.parse('2026-03-01T00:00:00Z'));
    const fleet = createMemoryCapacityProvider({ pools: [pool], clock, releaseMethods: ['drain'] });
    const { launched } = await fleet.launch({ poolId: pool.id, option: 'on-demand', count: 2 });
    expect(launched.map((n) => n.launchedAt)).toEqual(['2026-03-01T00:00:00Z', '2026-03-01T00:00:00Z']);
    const stop = await fleet.release({ nodeIds: [launched[0]!.nodeId], method: 'stop' });
    expect(stop.refused[0]!.reason).toMatch(/does not offer stop/);
    const drain = await fleet.release({ nodeIds: [launched[0]!.nodeId], method: 'drain' });
    expect(drain.released).toEqual([launched[0]!.nodeId]);
  });

  it('holds an on-prem pool to its size across purchase options', async () => {
    const onprem: Pool = { ...pool, id: 'onprem:dc1:rack1:dgx', provider: 'onprem', maxInstances: 2 };
    const fleet = createMemoryCapacityProvider({ pools: [onprem] });
    const outcome = await fleet.launch({ poolId: onprem.id, option: 'on-prem', count: 5 });
    expect(outcome.launched).toHaveLength(2);
    expect(outcome.failures[0]).toMatchObject({ code: 'insufficient-capacity', count: 3 });
  });

  it('reports an unknown pool as an unsupported launch, not an exception', async () => {
    const fleet = createMemoryCapacityProvider({ pools: [pool] });
    const outcome = await fleet.launch({ poolId: 'gcp:x:y:z', option: 'spot', count: 1 });
    expect(outcome.failures[0]!.code).toBe('unsupported');
  });
});
