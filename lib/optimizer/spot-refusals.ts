// What the cloud said of spot capacity lately: a pool that refused spot launches is planned at no more spot than it holds.
import { isLive, type FleetNode } from '../domain/fleet.ts';
import type { Plan } from '../domain/plan.ts';

/**
 * How long a pool's refusal is remembered. A spot shortage outlasts the hour: with only the last hour's plans read,
 * the plan asked a pool again the hour after it had not asked it, and was refused again (the default trace's last
 * day: 68 instances refused, 35 with six hours remembered, the day $77,811 → $75,213 through the real runs).
 */
export const SPOT_REFUSAL_MEMORY_HOURS = 6;

/**
 * Pools whose spot launches the cloud refused for want of capacity in these plans (a launch that came up short
 * counts too). The provider reports the shortfall as `insufficient-capacity` in the action's error.
 */
export function poolsRefusingSpot(plans: readonly Plan[]): Set<string> {
  const pools = new Set<string>();
  for (const plan of plans)
    for (const action of plan.actions)
      if (
        action.kind === 'launch' &&
        action.option === 'spot' &&
        action.error?.includes('insufficient-capacity') === true
      )
        pools.add(action.poolId);
  return pools;
}

/**
 * The spot instances each refusing pool can be planned at: the ones it holds now. Without it the planner keeps
 * asking a full pool for spot every run, and each refused launch lands as fallback capacity in another pool that
 * the plan did not ask for. Pools that did not refuse stay unbounded (the planner's default).
 */
export function spotCapacityAfterRefusals(
  refusing: ReadonlySet<string>,
  fleet: readonly FleetNode[],
): Record<string, number> {
  const capacity: Record<string, number> = {};
  for (const poolId of refusing) capacity[poolId] = 0;
  for (const node of fleet)
    if (refusing.has(node.poolId) && node.purchaseOption === 'spot' && isLive(node))
      capacity[node.poolId]! += 1;
  return capacity;
}
