// Reading the cloud's spot refusals off the last plans' actions.
import { describe, expect, it } from 'vitest';
import type { Plan } from '../../lib/domain/plan.ts';
import { poolsRefusingSpot, spotCapacityAfterRefusals } from '../../lib/optimizer/spot-refusals.ts';
import { node, pool } from './builders.ts';

const action = (fields: Partial<Plan['actions'][number]>): Plan['actions'][number] => ({
  actionId: `a-${Math.random()}`,
  kind: 'launch',
  poolId: 'aws:a',
  option: 'spot',
  count: 2,
  nodeIds: [],
  reason: 'plan',
  mode: 'enforce',
  status: 'failed',
  ...fields,
});
const planWith = (actions: Plan['actions']): Plan => ({
  planId: 'p',
  createdAt: '2026-03-02T00:05:00Z',
  horizonStart: '2026-03-02T00:00:00Z',
  horizonEnd: '2026-03-03T00:00:00Z',
  quantile: 'p90',
  mode: 'enforce',
  lines: [],
  totalCostUsd: 0n,
  explanations: [],
  actions,
});

describe('pools refusing spot', () => {
  it('counts spot launches refused or cut short for want of capacity, and nothing else', () => {
    const refusing = poolsRefusingSpot([
      planWith([
        action({
          poolId: 'aws:a',
          error: '2 insufficient-capacity: aws:a has capacity for 0 more spot instance(s)',
        }),
        action({ poolId: 'aws:b', status: 'done', error: '1 insufficient-capacity: short by one' }),
        action({ poolId: 'aws:c', error: '2 limit-exceeded: vCPU quota' }),
        action({ poolId: 'aws:d', option: 'on-demand', error: '2 insufficient-capacity: none left' }),
        action({ poolId: 'aws:e', status: 'done' }),
      ]),
    ]);
    expect([...refusing].sort()).toEqual(['aws:a', 'aws:b']);
  });

  it('caps a refusing pool at the spot it holds, counting live spot nodes only', () => {
    const a = pool('aws:a');
    const b = pool('aws:b');
    const capacity = spotCapacityAfterRefusals(new Set(['aws:a']), [
      node('i-1', a, 'spot'),
      node('i-2', a, 'spot'),
      { ...node('i-3', a, 'spot'), state: 'terminated' },
      node('i-4', a, 'on-demand'),
      node('i-5', b, 'spot'),
    ]);
    expect(capacity).toEqual({ 'aws:a': 2 });
    expect(spotCapacityAfterRefusals(new Set(['aws:b']), [])).toEqual({ 'aws:b': 0 });
  });
});
