// Reclaim and the capacity plan: idle capacity the plan holds on purpose (headroom for the coming hour) is not reclaimed.
import { isLive, type FleetNode } from '../../domain/fleet.ts';
import type { Plan } from '../../domain/plan.ts';
import { parsePoolOptionKey, poolOptionKey } from '../../domain/pool.ts';
import type { ReclaimPlan } from './lifecycle.ts';

const keyOf = (n: Pick<FleetNode, 'poolId' | 'purchaseOption'>) => poolOptionKey(n.poolId, n.purchaseOption);

/** Instances the plan holds now per pool|option: its first period. */
export function plannedNow(plan: Plan): Map<string, number> {
  const now = new Map<string, number>();
  for (const line of plan.lines) {
    if (line.periodStart !== plan.horizonStart) continue;
    const key = poolOptionKey(line.poolId, line.option);
    now.set(key, (now.get(key) ?? 0) + line.instances);
  }
  return now;
}

/**
 * Keeps the marks and releases of a reclaim plan only beyond what the capacity plan holds now: in a pool and
 * option with L live nodes of which the plan wants P, at most L − P idle nodes are marked or released, those
 * marked longest first; and the live GPUs never go below the plan's GPUs now, wherever they are (a launch
 * the plan wanted may have failed, and the nodes optimize kept in its stead are the plan's capacity). The
 * plan's headroom is idle by design, and releasing it would have the next optimize run launch it again
 * (paying the boot and the wait).
 */
export function keepPlannedHeadroom(
  reclaim: ReclaimPlan,
  nodes: readonly FleetNode[],
  plan: Plan,
): ReclaimPlan {
  const wanted = plannedNow(plan);
  const byId = new Map(nodes.map((n) => [n.nodeId, n]));
  const spare = new Map<string, number>();
  for (const n of nodes) {
    if (!isLive(n)) continue;
    spare.set(keyOf(n), (spare.get(keyOf(n)) ?? 0) + 1);
  }
  for (const [key, count] of spare) spare.set(key, count - (wanted.get(key) ?? 0));
  // GPUs per instance of a pool, from its nodes; a pool with none seen counts as the largest node known.
  const gpusOf = new Map<string, number>();
  for (const n of nodes)
    if (n.gpuCount > 0) gpusOf.set(n.poolId, Math.max(gpusOf.get(n.poolId) ?? 0, n.gpuCount));
  const largest = Math.max(0, ...gpusOf.values());
  let plannedGpus = 0;
  for (const [key, instances] of wanted)
    plannedGpus += instances * (gpusOf.get(parsePoolOptionKey(key).poolId) ?? largest);
  let spareGpus = nodes.filter(isLive).reduce((sum, n) => sum + n.gpuCount, 0) - plannedGpus;
  const held = [...reclaim.held];
  const take = (nodeId: string): boolean => {
    const node = byId.get(nodeId);
    if (!node) return true;
    const key = keyOf(node);
    const left = spare.get(key) ?? 0;
    if (left > 0 && spareGpus >= node.gpuCount) {
      spare.set(key, left - 1);
      spareGpus -= node.gpuCount;
      return true;
    }
    if (left > 0) {
      held.push({
        nodeId,
        reason: `headroom: plan ${plan.planId} holds ${plannedGpus} GPUs now; releasing it would leave ${spareGpus - node.gpuCount + plannedGpus}`,
      });
      return false;
    }
    held.push({
      nodeId,
      reason: `headroom: plan ${plan.planId} holds ${wanted.get(key) ?? 0} ${node.purchaseOption} instance(s) of ${node.poolId} now`,
    });
    return false;
  };
  // Releases are already ordered longest-marked first; they come before new marks.
  const releases = reclaim.releases.filter((r) => take(r.nodeId));
  const marks = reclaim.marks.filter((m) => take(m.nodeId));
  return { ...reclaim, releases, marks, held };
}
