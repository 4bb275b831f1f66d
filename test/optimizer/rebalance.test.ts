import { describe, expect, it } from 'vitest';
import { parseUsd } from '../../lib/domain/money.ts';
import { createMemoryCapacityProvider } from '../../lib/memory/capacity-provider.ts';
import { carryOut, rebalance, type RebalanceInput } from '../../lib/optimizer/rebalance.ts';
import { node, pool, quote } from './builders.ts';

const p4d = pool('aws:p4d');
const prices = [quote('aws:p4d', 'on-demand', '32.77'), quote('aws:p4d', 'spot', '9.83')];

function input(fields: Partial<RebalanceInput>): RebalanceInput {
  return {
    planId: 'plan-1',
    target: new Map(),
    fleet: [],
    pools: [p4d],
    prices,
    mode: 'recommend',
    maxActions: 10,
    ...fields,
  };
}

describe('rebalance', () => {
  it('launches what the first period adds and releases what it drops, launches first', () => {
    const fleet = [node('i-1', p4d, 'on-demand'), node('i-2', p4d, 'on-demand')];
    const { actions } = rebalance(
      input({ fleet, target: new Map([['aws:p4d', { spot: 2, 'on-demand': 1 }]]) }),
    );
    expect(actions.map((a) => [a.kind, a.option, a.count, a.nodeIds.length])).toEqual([
      ['launch', 'spot', 2, 0],
      ['release', 'on-demand', 1, 1],
    ]);
    expect(actions[1]!.releaseMethod).toBe('terminate');
    expect(actions[1]!.expectedSavingUsdPerHour).toBe(parseUsd('32.77'));
    expect(actions[0]!.expectedSavingUsdPerHour).toBe(-2n * parseUsd('9.83'));
  });

  it('releases idle nodes first, then the most expensive per delivered GPU-hour, never protected, unmanaged or busy ones', () => {
    const fleet = [
      node('i-busy', p4d, 'on-demand', { runningJobs: ['job-1'] }),
      node('i-protected', p4d, 'on-demand', { protected: true }),
      node('i-unmanaged', p4d, 'on-demand', { managed: false }),
      node('i-well-used', p4d, 'on-demand'),
      node('i-half-used', p4d, 'on-demand'),
      node('i-kept', p4d, 'on-demand'),
    ];
    const utilizationByNode = new Map([
      ['i-well-used', 0.9],
      ['i-half-used', 0.5],
      ['i-kept', 0.95],
    ]);
    const two = rebalance(
      input({ fleet, utilizationByNode, target: new Map([['aws:p4d', { 'on-demand': 4 }]]) }),
    );
    expect(two.actions.map((a) => a.nodeIds[0])).toEqual(['i-half-used', 'i-well-used']);
    // Asked for four releases, only three nodes may go.
    const four = rebalance(
      input({ fleet, utilizationByNode, target: new Map([['aws:p4d', { 'on-demand': 2 }]]) }),
    );
    expect(four.actions.map((a) => a.nodeIds[0])).toEqual(['i-half-used', 'i-well-used', 'i-kept']);
    expect(four.held.map((h) => `${h.nodeId}: ${h.reason}`).sort()).toEqual([
      'i-busy: running 1 job(s)',
      'i-protected: protected',
      'i-unmanaged: not managed by gpu-optimizer',
    ]);
  });

  it('never takes more than the per-run cap, and says how many are left', () => {
    const fleet = [1, 2, 3, 4].map((i) => node(`i-${i}`, p4d, 'on-demand'));
    const result = rebalance(
      input({ fleet, maxActions: 2, target: new Map([['aws:p4d', { 'on-demand': 0 }]]) }),
    );
    expect(result.actions).toHaveLength(2);
    expect(result.deferred).toBe(2);
  });

  it('only records in recommend mode and hands actions to the provider in enforce mode', async () => {
    const provider = createMemoryCapacityProvider({
      pools: [p4d],
      prices,
      nodes: [node('i-1', p4d, 'on-demand')],
    });
    const { actions } = rebalance(
      input({ fleet: await provider.nodes(), target: new Map([['aws:p4d', { spot: 1, 'on-demand': 0 }]]) }),
    );
    const recommended = await carryOut(actions, () => provider, 'recommend');
    expect(recommended.map((a) => a.status)).toEqual(['recommended', 'recommended']);
    expect((await provider.nodes()).filter((n) => n.state === 'running')).toHaveLength(1);

    const enforced = await carryOut(actions, () => provider, 'enforce');
    expect(enforced.map((a) => a.status)).toEqual(['done', 'done']);
    const live = (await provider.nodes()).filter((n) => n.state === 'running' || n.state === 'pending');
    expect(live.map((n) => n.purchaseOption)).toEqual(['spot']);
  });
});
