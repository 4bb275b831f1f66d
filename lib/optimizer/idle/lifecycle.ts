// The reclaim lifecycle as a pure plan: which nodes to mark, release after their grace, unmark, or hold and why.
import type { FleetNode, ReleaseMethod } from '../../domain/fleet.ts';
import { isLive } from '../../domain/fleet.ts';
import type { Mode } from '../../domain/plan.ts';
import { parseRfc3339 } from '../../domain/time.ts';
import { releaseMethodFor, type ReclaimPolicy } from './policy.ts';
import type { IdleThresholds } from './thresholds.ts';
import type { IdleDecision } from './types.ts';

export interface NodeAssessment {
  node: FleetNode;
  decision: IdleDecision;
  thresholds: IdleThresholds;
}

export interface MarkStep {
  nodeId: string;
  reason: string;
  idleSinceMs: number;
  graceDeadlineMs: number;
}
export interface ReleaseStep {
  nodeId: string;
  method: ReleaseMethod;
  reason: string;
  markedAtMs: number;
}
export interface NodeNote {
  nodeId: string;
  reason: string;
}

export interface ReclaimPlan {
  mode: Mode;
  marks: MarkStep[];
  releases: ReleaseStep[];
  unmarks: NodeNote[];
  /** Idle or marked nodes left alone this run, with the reason (protected, kill switch, cap, grace, unmanaged). */
  held: NodeNote[];
}

/**
 * Why a node must not be released now, or undefined when it may be. The one guard every release passes:
 * never protected, never busy or unknown, never with a running job, never unmanaged in enforce mode.
 */
export function releaseRefusal(node: FleetNode, decision: IdleDecision, mode: Mode): string | undefined {
  if (node.protected) return 'protected';
  // A reserved instance is paid for the whole term whether it runs or not: releasing it saves nothing.
  if (node.purchaseOption === 'reserved') return 'reserved: its commitment is paid whether it runs or not';
  if (decision.decision !== 'idle') return `not idle (${decision.decision})`;
  if (node.runningJobs.length > 0) return 'runs a job';
  if (!isLive(node)) return `already ${node.state}`;
  if (mode === 'enforce' && !node.managed) return 'not managed: enforce mode leaves it alone';
  return undefined;
}

/** Longest-marked first, so the node that has waited longest is released first; node id breaks ties. */
function byMarkAge(a: ReleaseStep, b: ReleaseStep): number {
  return a.markedAtMs - b.markedAtMs || (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0);
}

/**
 * Plans one run. `alreadyRecommended` holds the nodes whose current mark already produced a recommended release
 * (recommend mode leaves them running and marked); they are not recommended again and take no cap.
 */
export function planReclaim(
  assessments: readonly NodeAssessment[],
  policy: ReclaimPolicy,
  nowMs: number,
  alreadyRecommended: ReadonlySet<string> = new Set(),
): ReclaimPlan {
  const plan: ReclaimPlan = { mode: policy.mode, marks: [], releases: [], unmarks: [], held: [] };
  const liveByPool = new Map<string, number>();
  for (const { node } of assessments) {
    if (isLive(node)) liveByPool.set(node.poolId, (liveByPool.get(node.poolId) ?? 0) + 1);
  }
  const due: ReleaseStep[] = [];
  for (const { node, decision, thresholds } of assessments) {
    if (!isLive(node)) continue;
    const marked = node.mark !== undefined;
    if (!marked && decision.decision !== 'idle') continue;
    if (policy.killSwitch) {
      plan.held.push({ nodeId: node.nodeId, reason: 'kill switch is on' });
      continue;
    }
    if (marked && decision.decision === 'busy') {
      plan.unmarks.push({ nodeId: node.nodeId, reason: `busy again: ${decision.reason}` });
      continue;
    }
    const refusal = releaseRefusal(node, decision, policy.mode);
    if (refusal) {
      plan.held.push({ nodeId: node.nodeId, reason: refusal });
      continue;
    }
    if (!node.mark) {
      const graceDeadlineMs = nowMs + thresholds.graceMinutes * 60_000;
      plan.marks.push({
        nodeId: node.nodeId,
        reason: decision.reason,
        idleSinceMs: decision.idleSinceMs ?? nowMs,
        graceDeadlineMs,
      });
      continue;
    }
    const markedAtMs = parseRfc3339(node.mark.markedAt);
    if (nowMs < markedAtMs + thresholds.graceMinutes * 60_000) {
      plan.held.push({ nodeId: node.nodeId, reason: 'grace period not over' });
      continue;
    }
    if (policy.mode === 'recommend' && alreadyRecommended.has(node.nodeId)) {
      plan.held.push({ nodeId: node.nodeId, reason: 'release already recommended' });
      continue;
    }
    due.push({
      nodeId: node.nodeId,
      method: releaseMethodFor(policy, node),
      reason: decision.reason,
      markedAtMs,
    });
  }
  const releasedByPool = new Map<string, number>();
  const poolOf = new Map(assessments.map((a) => [a.node.nodeId, a.node.poolId]));
  for (const step of due.sort(byMarkAge)) {
    const poolId = poolOf.get(step.nodeId)!;
    const poolCap = Math.floor(((liveByPool.get(poolId) ?? 0) * policy.maxPoolReleasePct) / 100);
    const inPool = releasedByPool.get(poolId) ?? 0;
    if (plan.releases.length >= policy.maxReleasesPerRun) {
      plan.held.push({ nodeId: step.nodeId, reason: `at most ${policy.maxReleasesPerRun} releases per run` });
    } else if (inPool >= poolCap) {
      plan.held.push({
        nodeId: step.nodeId,
        reason: `at most ${policy.maxPoolReleasePct} % of pool ${poolId} (${poolCap} nodes) per run`,
      });
    } else {
      plan.releases.push(step);
      releasedByPool.set(poolId, inPool + 1);
    }
  }
  return plan;
}
