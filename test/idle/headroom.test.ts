// Reclaim and the capacity plan: the plan's GPUs stay live wherever they are, even when the launch it wanted failed.
import { describe, expect, it } from 'vitest';
import type { Plan } from '../../lib/domain/plan.ts';
import { toRfc3339 } from '../../lib/domain/time.ts';
import { keepPlannedHeadroom } from '../../lib/optimizer/idle/headroom.ts';
import type { ReclaimPlan } from '../../lib/optimizer/idle/lifecycle.ts';
import { samplePlan } from '../support/store-samples.ts';
import { node, T0 } from './build.ts';

const SPOT_POOL = 'aws:us-east-1:us-east-1b:p4d.24xlarge';

/** An enforced plan that holds two 8-GPU spot instances now in a pool where none could be launched. */
const plan: Plan = {
  ...samplePlan('plan-1', T0),
  mode: 'enforce',
  lines: [
    {
      poolId: SPOT_POOL,
      option: 'spot',
      periodStart: toRfc3339(T0),
      periodEnd: toRfc3339(T0 + 3600_000),
      instances: 2,
      costUsd: 0n,
    },
  ],
};

function releasing(ids: string[]): ReclaimPlan {
  return {
    mode: 'enforce',
    marks: [],
    releases: ids.map((nodeId, i) => ({
      nodeId,
      method: 'stop',
      reason: 'idle',
      markedAtMs: T0 - (60 - i) * 60_000,
    })),
    unmarks: [],
    held: [],
  };
}

describe('keepPlannedHeadroom', () => {
  it("keeps the on-demand nodes optimize kept in place of a failed spot launch: the plan's 16 GPUs stay live", () => {
    const nodes = [1, 2, 3].map((i) => node({ nodeId: `od-${i}`, gpuCount: 8 }));
    // A spot node of the planned pool seen before (now gone) tells its size.
    const seen = [...nodes, node({ nodeId: 'gone', poolId: SPOT_POOL, gpuCount: 8, state: 'terminated' })];
    const kept = keepPlannedHeadroom(releasing(['od-1', 'od-2', 'od-3']), seen, plan);
    expect(kept.releases.map((r) => r.nodeId)).toEqual(['od-1']);
    expect(kept.held.map((h) => h.nodeId)).toEqual(['od-2', 'od-3']);
    expect(kept.held[0]!.reason).toBe('headroom: plan plan-1 holds 16 GPUs now; releasing it would leave 8');
  });
});
