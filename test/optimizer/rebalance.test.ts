import { describe, expect, it } from 'vitest';
import { judge, NO_CAPS } from '../../lib/actuator/guards.ts';
import type { FleetNode } from '../../lib/domain/fleet.ts';
import { parseUsd } from '../../lib/domain/money.ts';
import { describeRefusal } from '../../lib/domain/refusal.ts';
import { rebalance, type RebalanceInput } from '../../lib/optimizer/rebalance.ts';
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
    ...fields,
  };
}

/** The actuator's guard chain as the optimize run passes it, every node with fresh GPU readings. */
function guardChain(mode: 'recommend' | 'enforce') {
  return (n: FleetNode) => {
    const verdict = judge(
      { kind: 'release', node: n },
      {
        mode,
        killSwitch: false,
        nowMs: 0,
        loginGraceMinutes: 60,
        evidence: () => ({ gpuReadings: 6, jobs: [] }),
        caps: NO_CAPS,
        tally: { actions: 0, releases: 0, releasesByPool: new Map(), livePerPool: new Map() },
      },
    );
    return verdict.verdict === 'refuse' ? describeRefusal(verdict.refusal) : undefined;
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
    // The one release-method table: an on-demand EC2 node is stopped (undoable), not terminated.
    expect(actions[1]!.releaseMethod).toBe('stop');
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
    const releaseRefusal = guardChain('enforce');
    const two = rebalance(
      input({ fleet, utilizationByNode, releaseRefusal, target: new Map([['aws:p4d', { 'on-demand': 4 }]]) }),
    );
    expect(two.actions.map((a) => a.nodeIds[0])).toEqual(['i-half-used', 'i-well-used']);
    // Asked for four releases, only three nodes may go.
    const four = rebalance(
      input({ fleet, utilizationByNode, releaseRefusal, target: new Map([['aws:p4d', { 'on-demand': 2 }]]) }),
    );
    expect(four.actions.map((a) => a.nodeIds[0])).toEqual(['i-half-used', 'i-well-used', 'i-kept']);
    expect(four.held.map((h) => `${h.nodeId}: ${h.reason}`).sort()).toEqual([
      'i-busy: running-job: runs job-1',
      'i-protected: protected: tagged protected: never released',
      'i-unmanaged: not-managed: not tagged as managed by gpu-optimizer: enforce mode leaves it alone',
    ]);
  });

  it('keeps a busy node the plan moves to another zone instead of launching its replacement beside it', () => {
    // Equal prices leave the solver free to move on-demand instances from zone a to zone b; zone a's nodes run
    // jobs, so the guards hold their releases and launching in b would hold both.
    const zoneA = pool('aws:a', { instanceType: 'g4dn.xlarge', zone: 'us-east-1a' });
    const zoneB = pool('aws:b', { instanceType: 'g4dn.xlarge', zone: 'us-east-1b' });
    const other = pool('aws:c', { instanceType: 'p4d.24xlarge', zone: 'us-east-1b' });
    const fleet = [
      node('i-busy-1', zoneA, 'on-demand', { runningJobs: ['job-1'] }),
      node('i-busy-2', zoneA, 'on-demand', { runningJobs: ['job-2'] }),
      node('i-idle', zoneA, 'on-demand'),
    ];
    const moved = rebalance(
      input({
        fleet,
        pools: [zoneA, zoneB, other],
        prices: ['aws:a', 'aws:b', 'aws:c'].map((id) => quote(id, 'on-demand', '0.526')),
        releaseRefusal: guardChain('enforce'),
        target: new Map([
          ['aws:a', { 'on-demand': 0 }],
          ['aws:b', { 'on-demand': 3, spot: 1 }],
          ['aws:c', { 'on-demand': 1 }],
        ]),
      }),
    );
    expect(moved.actions.map((a) => [a.kind, a.poolId, a.option, a.count])).toEqual([
      // Three asked in b, two kept busy in a: one launched. Spot and another instance type are not netted.
      ['launch', 'aws:b', 'spot', 1],
      ['launch', 'aws:b', 'on-demand', 1],
      ['launch', 'aws:c', 'on-demand', 1],
      ['release', 'aws:a', 'on-demand', 1],
    ]);
    expect(moved.actions[1]!.reason).toMatch(/2 fewer: busy g4dn.xlarge on-demand node\(s\)/);
    expect(moved.actions[1]!.expectedSavingUsdPerHour).toBe(-parseUsd('0.526'));
    expect(moved.actions[3]!.nodeIds).toEqual(['i-idle']);
    expect(moved.held.map((h) => h.nodeId).sort()).toEqual(['i-busy-1', 'i-busy-2']);

    // Nothing held: the move goes ahead whole.
    const free = rebalance(
      input({
        fleet: [node('i-idle', zoneA, 'on-demand')],
        pools: [zoneA, zoneB],
        prices: ['aws:a', 'aws:b'].map((id) => quote(id, 'on-demand', '0.526')),
        target: new Map([
          ['aws:a', { 'on-demand': 0 }],
          ['aws:b', { 'on-demand': 1 }],
        ]),
      }),
    );
    expect(free.actions.map((a) => [a.kind, a.poolId, a.count])).toEqual([
      ['launch', 'aws:b', 1],
      ['release', 'aws:a', 1],
    ]);
  });

  it('returns every decision, uncapped: the actuator applies the per-run cap', () => {
    const fleet = [1, 2, 3, 4].map((i) => node(`i-${i}`, p4d, 'on-demand'));
    const result = rebalance(input({ fleet, target: new Map([['aws:p4d', { 'on-demand': 0 }]]) }));
    expect(result.actions).toHaveLength(4);
  });
});
