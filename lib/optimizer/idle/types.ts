// What the idle detector reads about one node and what each of its rules answers.
import type { FleetNode } from '../../domain/fleet.ts';
import type { WindowRollup } from '../../domain/usage.ts';
import type { IdleThresholds } from './thresholds.ts';

export type IdleVerdict = 'idle' | 'busy' | 'unknown';

/** A rule's answer; `abstain` when the rule has nothing to say about this node (e.g. no power readings). */
export interface RuleVerdict {
  verdict: IdleVerdict | 'abstain';
  reason: string;
}

/** Everything a rule may look at: the node, its merged windows over the lookback, the thresholds, the time. */
export interface IdleContext {
  node: FleetNode;
  /** Merged rollups (one per window) with windowStart in [fromMs, nowMs), oldest first. */
  windows: readonly WindowRollup[];
  thresholds: IdleThresholds;
  nowMs: number;
  fromMs: number;
}

/** One way of telling a node busy or idle; a new signal is a new file in rules/, not a new branch. */
export interface IdleRule {
  readonly name: string;
  evaluate(context: IdleContext): RuleVerdict;
}

/** The detector's answer for one node, with the reason a person can read. */
export interface IdleDecision {
  nodeId: string;
  decision: IdleVerdict;
  reason: string;
  /** When the quiet began, as far as the detector can tell (idle decisions only). */
  idleSinceMs?: number;
}
