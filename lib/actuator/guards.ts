// The ordered guard chain every change to the fleet passes: kill switch, mode, managed, protected, job or login, GPU evidence, reserved, caps, budget.
import type { FleetNode } from '../domain/fleet.ts';
import type { Mode } from '../domain/plan.ts';
import type { GuardedRequest, Judgement } from '../domain/ports.ts';
import { refusal, type Refusal } from '../domain/refusal.ts';
import { toRfc3339 } from '../domain/time.ts';
import type { NodeEvidence } from './evidence.ts';

/** What a request asks for: a launch into a pool, or a step on one node. */
export type GuardedKind = GuardedRequest['kind'];
type NodeRequest = Extract<GuardedRequest, { node: FleetNode }>;

/** Per-run limits; a later budget guard plugs in as `budget`. */
export interface RunCaps {
  /** Launches and releases per run (a launch of N instances is one action). */
  maxActions: number;
  maxReleases: number;
  /** At most this share of a pool's live nodes released in one run, rounded down. */
  maxPoolReleasePct: number;
}
export const NO_CAPS: RunCaps = { maxActions: Infinity, maxReleases: Infinity, maxPoolReleasePct: 100 };

/** What this run has done so far, against the caps. */
export interface RunTally {
  actions: number;
  releases: number;
  releasesByPool: Map<string, number>;
  /** Live nodes per pool when the run began: the base of the pool cap. */
  livePerPool: ReadonlyMap<string, number>;
}

/** A spending check (a team's monthly budget, say): a refusal, or undefined to let the change through. */
export type BudgetGuard = (request: GuardedRequest) => Refusal | undefined;

export interface GuardContext {
  mode: Mode;
  killSwitch: boolean;
  nowMs: number;
  /** A login this recent keeps a node. */
  loginGraceMinutes: number;
  /** The GPU readings of a node; undefined when there are none. */
  evidence(nodeId: string): NodeEvidence | undefined;
  caps: RunCaps;
  tally: RunTally;
  budget?: BudgetGuard;
}

/** A guard's answer: pass (undefined), refuse, or let the change be recommended but not made. */
export type GuardAnswer = Refusal | 'recommend-only' | undefined;

export interface Guard {
  readonly name: string;
  /** The kinds of change this guard judges; the others pass it. */
  readonly kinds: readonly GuardedKind[];
  check(request: GuardedRequest, context: GuardContext): GuardAnswer;
}

const ALL: readonly GuardedKind[] = ['launch', 'release', 'mark', 'unmark', 'tag'];
/** A mark is the notice of a coming release: it is judged as one, less the caps. */
const NODE_CHANGES: readonly GuardedKind[] = ['release', 'mark'];
const nodeOf = (request: GuardedRequest) => (request as NodeRequest).node;

export const killSwitchGuard: Guard = {
  name: 'kill switch',
  kinds: ALL,
  check: (_r, c) =>
    c.killSwitch ? refusal('kill-switch', 'the kill switch is on: nothing changes') : undefined,
};

export const modeGuard: Guard = {
  name: 'mode',
  kinds: ALL,
  check: (_r, c) => (c.mode === 'recommend' ? 'recommend-only' : undefined),
};

export const managedGuard: Guard = {
  name: 'managed',
  kinds: [...NODE_CHANGES, 'tag'],
  // Recommend mode may point at an unmanaged node: a person acts on it, not the run.
  check: (r, c) =>
    c.mode === 'enforce' && !nodeOf(r).managed
      ? refusal('not-managed', 'not tagged as managed by gpu-optimizer: enforce mode leaves it alone')
      : undefined,
};

export const protectedGuard: Guard = {
  name: 'protected',
  kinds: NODE_CHANGES,
  check: (r) => (nodeOf(r).protected ? refusal('protected', 'tagged protected: never released') : undefined),
};

export const runningJobGuard: Guard = {
  name: 'running job',
  kinds: NODE_CHANGES,
  check: (r, c) => {
    const node = nodeOf(r);
    const jobs = [...new Set([...node.runningJobs, ...(c.evidence(node.nodeId)?.jobs ?? [])])];
    return jobs.length > 0 ? refusal('running-job', `runs ${jobs.slice(0, 5).join(', ')}`) : undefined;
  },
};

export const interactiveLoginGuard: Guard = {
  name: 'interactive login',
  kinds: NODE_CHANGES,
  check: (r, c) => {
    const node = nodeOf(r);
    const stored = node.lastLoginAt ? Date.parse(node.lastLoginAt) : 0;
    const lastMs = Math.max(stored, c.evidence(node.nodeId)?.lastLoginAtMs ?? 0);
    return lastMs > 0 && c.nowMs - lastMs < c.loginGraceMinutes * 60_000
      ? refusal('interactive-login', `a person logged in at ${toRfc3339(lastMs)}`)
      : undefined;
  },
};

export const gpuEvidenceGuard: Guard = {
  name: 'GPU evidence',
  kinds: NODE_CHANGES,
  check: (r, c) => {
    const node = nodeOf(r);
    if (node.gpuCount === 0)
      return refusal('no-gpu-evidence', 'the node reports 0 GPUs: nothing says it is idle');
    if ((c.evidence(node.nodeId)?.gpuReadings ?? 0) === 0)
      return refusal('no-gpu-evidence', 'no GPU readings in the lookback: nothing says it is idle');
    return undefined;
  },
};

export const reservedGuard: Guard = {
  name: 'reserved',
  kinds: NODE_CHANGES,
  // A reserved instance is paid for the whole term whether it runs or not: releasing it saves nothing.
  check: (r) =>
    nodeOf(r).purchaseOption === 'reserved'
      ? refusal('reserved', 'reserved: its commitment is paid whether it runs or not')
      : undefined,
};

export const capsGuard: Guard = {
  name: 'caps',
  kinds: ['launch', 'release'],
  check: (r, c) => {
    const { caps, tally } = c;
    if (tally.actions >= caps.maxActions)
      return refusal('run-cap', `at most ${caps.maxActions} actions per run`);
    if (r.kind !== 'release') return undefined;
    if (tally.releases >= caps.maxReleases)
      return refusal('run-cap', `at most ${caps.maxReleases} releases per run`);
    if (caps.maxPoolReleasePct >= 100) return undefined;
    const poolId = r.node.poolId;
    const poolCap = Math.floor(((tally.livePerPool.get(poolId) ?? 0) * caps.maxPoolReleasePct) / 100);
    if ((tally.releasesByPool.get(poolId) ?? 0) >= poolCap)
      return refusal(
        'pool-cap',
        `at most ${caps.maxPoolReleasePct} % of pool ${poolId} (${poolCap} nodes) per run`,
      );
    return undefined;
  },
};

export const budgetGuard: Guard = {
  name: 'budget',
  kinds: ['launch'],
  check: (r, c) => c.budget?.(r),
};

/** The chain, in order: the first refusal is the one reported. */
export const GUARD_CHAIN: readonly Guard[] = [
  killSwitchGuard,
  modeGuard,
  managedGuard,
  protectedGuard,
  runningJobGuard,
  interactiveLoginGuard,
  gpuEvidenceGuard,
  reservedGuard,
  capsGuard,
  budgetGuard,
];

/** Runs the chain on one request. Recommend mode still runs every guard: a recommendation is never unsafe. */
export function judge(
  request: GuardedRequest,
  context: GuardContext,
  chain: readonly Guard[] = GUARD_CHAIN,
): Judgement {
  let recommendOnly = false;
  for (const guard of chain) {
    if (!guard.kinds.includes(request.kind)) continue;
    const answer = guard.check(request, context);
    if (answer === 'recommend-only') recommendOnly = true;
    else if (answer) return { verdict: 'refuse', refusal: answer, guard: guard.name };
  }
  return { verdict: recommendOnly ? 'recommend' : 'carry-out' };
}

/** Counts a change that passed the chain against the run's caps. */
export function countAgainstCaps(request: GuardedRequest, tally: RunTally): void {
  if (request.kind !== 'launch' && request.kind !== 'release') return;
  tally.actions += 1;
  if (request.kind === 'release') {
    tally.releases += 1;
    const poolId = request.node.poolId;
    tally.releasesByPool.set(poolId, (tally.releasesByPool.get(poolId) ?? 0) + 1);
  }
}
