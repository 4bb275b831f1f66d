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
  /** Idle or marked nodes left alone this run, with the reason (grace, not idle, already recommended). */
  held: NodeNote[];
}

/** Longest-marked first, so the node that has waited longest is released first; node id breaks ties. */
function byMarkAge(a: ReleaseStep, b: ReleaseStep): number {
  return a.markedAtMs - b.markedAtMs || (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0);
}

/**
 * Plans one run of the idle lifecycle. Whether a step may be taken (kill switch, managed, protected, jobs,
 * GPU evidence, reserved, caps) is the actuator's guard chain (lib/actuator/guards.ts), not this plan's.
 * `alreadyRecommended` holds the nodes whose current mark already produced a recommended release
 * (recommend mode leaves them running and marked); they are not recommended again and take no cap.
 */
export function planReclaim(
  assessments: readonly NodeAssessment[],
  policy: ReclaimPolicy,
  nowMs: number,
  alreadyRecommended: ReadonlySet<string> = new Set(),
): ReclaimPlan {
  const plan: ReclaimPlan = { mode: policy.mode, marks: [], releases: [], unmarks: [], held: [] };
  const due: ReleaseStep[] = [];
  for (const { node, decision, thresholds } of assessments) {
    if (!isLive(node)) continue;
    const marked = node.mark !== undefined;
    if (!marked && decision.decision !== 'idle') continue;
    if (marked && decision.decision === 'busy') {
      plan.unmarks.push({ nodeId: node.nodeId, reason: `busy again: ${decision.reason}` });
      continue;
    }
    if (decision.decision !== 'idle') {
      plan.held.push({ nodeId: node.nodeId, reason: `not idle (${decision.decision})` });
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
  // The actuator caps releases per run and per pool in this order: the longest waiting go first.
  plan.releases = due.sort(byMarkAge);
  return plan;
}
