// The idle detector: runs every rule on one node's recent windows and returns idle, busy or unknown with the reason.
import type { FleetNode } from '../../domain/fleet.ts';
import { parseRfc3339 } from '../../domain/time.ts';
import { mergeByNodeWindow, type WindowRollup } from '../../domain/usage.ts';
import { interactiveLoginRule } from './rules/interactive-login.ts';
import { jobProcessRule } from './rules/job-process.ts';
import { memoryRule } from './rules/memory.ts';
import { powerRule } from './rules/power.ts';
import { reportingRule } from './rules/reporting.ts';
import { smActivityRule, utilizationRule } from './rules/utilization.ts';
import type { IdleThresholds } from './thresholds.ts';
import type { IdleDecision, IdleRule, RuleVerdict } from './types.ts';

/** Reporting comes first so that a silent node is "unknown" before any other rule sees its empty windows. */
export const IDLE_RULES: readonly IdleRule[] = [
  reportingRule,
  jobProcessRule,
  interactiveLoginRule,
  utilizationRule,
  smActivityRule,
  memoryRule,
  powerRule,
];

/** The merged windows of one node with windowStart in [fromMs, nowMs), oldest first. */
export function windowsOf(nodeId: string, rollups: readonly WindowRollup[], fromMs: number, nowMs: number) {
  const mine = rollups.filter((r) => {
    if (r.node.nodeId !== nodeId) return false;
    const startMs = parseRfc3339(r.windowStart);
    return startMs >= fromMs && startMs < nowMs;
  });
  return mergeByNodeWindow(mine).sort((a, b) => parseRfc3339(a.windowStart) - parseRfc3339(b.windowStart));
}

/**
 * Decides one node. Any rule that cannot tell makes the node unknown (never idle); any rule that sees work
 * makes it busy; only when every rule that has something to say finds it quiet is it idle.
 */
export function decideIdle(
  node: FleetNode,
  rollups: readonly WindowRollup[],
  thresholds: IdleThresholds,
  nowMs: number,
  rules: readonly IdleRule[] = IDLE_RULES,
): IdleDecision {
  const fromMs = nowMs - thresholds.windowMinutes * 60_000;
  const context = {
    node,
    windows: windowsOf(node.nodeId, rollups, fromMs, nowMs),
    thresholds,
    nowMs,
    fromMs,
  };
  const verdicts: (RuleVerdict & { rule: string })[] = [];
  for (const rule of rules) {
    const v = rule.evaluate(context);
    // A node that cannot be judged needs no further rules: unknown is final.
    if (v.verdict === 'unknown')
      return { nodeId: node.nodeId, decision: 'unknown', reason: `${rule.name}: ${v.reason}` };
    verdicts.push({ ...v, rule: rule.name });
  }
  const busy = verdicts.filter((v) => v.verdict === 'busy');
  if (busy.length > 0) {
    return {
      nodeId: node.nodeId,
      decision: 'busy',
      reason: busy.map((v) => `${v.rule}: ${v.reason}`).join('; '),
    };
  }
  const firstWindow = context.windows[0];
  const lastBusyMs = node.lastBusyAt ? parseRfc3339(node.lastBusyAt) : -Infinity;
  const idleSinceMs = Math.max(firstWindow ? parseRfc3339(firstWindow.windowStart) : fromMs, lastBusyMs);
  return {
    nodeId: node.nodeId,
    decision: 'idle',
    reason: verdicts
      .filter((v) => v.verdict === 'idle')
      .map((v) => `${v.rule}: ${v.reason}`)
      .join('; '),
    idleSinceMs,
  };
}
