import { describe, expect, it } from 'vitest';
import { toRfc3339 } from '../../lib/domain/time.ts';
import { planReclaim, type NodeAssessment } from '../../lib/optimizer/idle/lifecycle.ts';
import { releaseMethodFor, zReclaimPolicy } from '../../lib/optimizer/idle/policy.ts';
import { IDLE_DEFAULTS } from '../../lib/optimizer/idle/thresholds.ts';
import type { IdleVerdict } from '../../lib/optimizer/idle/types.ts';
import type { FleetNodeInput } from '../../lib/domain/fleet.ts';
import { node, T0 } from './build.ts';

const NOW = T0;
const enforce = zReclaimPolicy.parse({ mode: 'enforce', maxReleasesPerRun: 10, maxPoolReleasePct: 100 });

function assess(id: string, decision: IdleVerdict, overrides: Partial<FleetNodeInput> = {}): NodeAssessment {
  return {
    node: node({ nodeId: id, ...overrides }),
    decision: {
      nodeId: id,
      decision,
      reason: decision,
      ...(decision === 'idle' ? { idleSinceMs: NOW } : {}),
    },
    thresholds: IDLE_DEFAULTS,
  };
}
const markedAgo = (minutes: number) => ({
  mark: { markedAt: toRfc3339(NOW - minutes * 60_000), reason: 'idle' },
});

describe('reclaim lifecycle plan', () => {
  it('marks an idle node with a grace deadline, releases it once the grace is over, and unmarks a busy one', () => {
    const plan = planReclaim(
      [
        assess('fresh', 'idle'),
        assess('waiting', 'idle', markedAgo(10)),
        assess('due', 'idle', markedAgo(31)),
        assess('woke', 'busy', markedAgo(31)),
        assess('silent', 'unknown', markedAgo(31)),
      ],
      enforce,
      NOW,
    );
    expect(plan.marks).toEqual([
      expect.objectContaining({ nodeId: 'fresh', graceDeadlineMs: NOW + 30 * 60_000 }),
    ]);
    expect(plan.releases.map((r) => [r.nodeId, r.method])).toEqual([['due', 'stop']]);
    expect(plan.unmarks.map((u) => u.nodeId)).toEqual(['woke']);
    expect(plan.held).toEqual(
      expect.arrayContaining([
        { nodeId: 'waiting', reason: 'grace period not over' },
        { nodeId: 'silent', reason: 'not idle (unknown)' },
      ]),
    );
  });

  it("plans every idle node: whether a step may be taken is the guard chain's, not the plan's", () => {
    // Protected, unmanaged, reserved and kill switch are judged by lib/actuator (test/actuator/guards.test.ts).
    const plan = planReclaim(
      [
        assess('p', 'idle', { protected: true, ...markedAgo(60) }),
        assess('u', 'idle', { managed: false }),
        assess('r', 'idle', { purchaseOption: 'reserved', ...markedAgo(60) }),
      ],
      { ...enforce, killSwitch: true },
      NOW,
    );
    expect(plan.releases.map((r) => r.nodeId)).toEqual(['p', 'r']);
    expect(plan.marks.map((m) => m.nodeId)).toEqual(['u']);
  });

  it('orders due releases longest-marked first, for the actuator to cap in that order', () => {
    const fleet = Array.from({ length: 8 }, (_, i) => assess(`n${i}`, 'idle', markedAgo(40 + i)));
    const plan = planReclaim(fleet, { ...enforce, maxReleasesPerRun: 3 }, NOW);
    expect(plan.releases.map((r) => r.nodeId)).toEqual(['n7', 'n6', 'n5', 'n4', 'n3', 'n2', 'n1', 'n0']);
  });

  it('does not recommend the same release twice while the node stays marked', () => {
    const plan = planReclaim(
      [assess('a', 'idle', markedAgo(60))],
      zReclaimPolicy.parse({}),
      NOW,
      new Set(['a']),
    );
    expect(plan.releases).toEqual([]);
    expect(plan.held).toEqual([{ nodeId: 'a', reason: 'release already recommended' }]);
  });

  it('picks the release method per pool, then per provider, else the one table: stop on-demand, terminate spot, drain Slurm', () => {
    const policy = zReclaimPolicy.parse({
      releaseMethods: { byPool: { 'k8s-pool': 'drain' }, byProvider: { azure: 'hibernate' } },
    });
    expect(
      releaseMethodFor(policy, { poolId: 'k8s-pool', provider: 'aws', purchaseOption: 'on-demand' }),
    ).toBe('drain');
    expect(releaseMethodFor(policy, { poolId: 'x', provider: 'azure', purchaseOption: 'spot' })).toBe(
      'hibernate',
    );
    expect(releaseMethodFor(policy, { poolId: 'x', provider: 'aws', purchaseOption: 'spot' })).toBe(
      'terminate',
    );
    expect(releaseMethodFor(policy, { poolId: 'x', provider: 'slurm', purchaseOption: 'on-prem' })).toBe(
      'drain',
    );
    expect(releaseMethodFor(policy, { poolId: 'x', provider: 'aws', purchaseOption: 'on-demand' })).toBe(
      'stop',
    );
  });
});
