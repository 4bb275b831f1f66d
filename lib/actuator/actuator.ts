// The one place a run changes the fleet: each launch, release, mark and unmark passes the guard chain, then goes to the provider that owns it.
import { refusalEntry } from '../attribution/ledger.ts';
import { isLive, type FleetNode } from '../domain/fleet.ts';
import type { Lever } from '../domain/ledger.ts';
import type { Action, Mode } from '../domain/plan.ts';
import type {
  Actuator,
  CapacityProvider,
  GuardedRequest,
  LedgerRepository,
  ProviderIndex,
  StepOutcome,
} from '../domain/ports.ts';
import { refusal, type Refusal } from '../domain/refusal.ts';
import { releaseMethodFor, type ReleaseMethodOverrides } from '../domain/release-methods.ts';
import type { NodeEvidence } from './evidence.ts';
import {
  countAgainstCaps,
  judge,
  NO_CAPS,
  type BudgetGuard,
  type GuardContext,
  type RunCaps,
} from './guards.ts';

/** A login this recent keeps a node (the idle detector's default). */
export const DEFAULT_LOGIN_GRACE_MINUTES = 60;

export interface ActuatorOptions {
  /** The ledger lever refusals are recorded under. */
  lever: Lever;
  mode: Mode;
  killSwitch: boolean;
  /** Which provider owns a pool or a node (lib/connectors/registry.ts). */
  connectors: ProviderIndex;
  nowMs: number;
  /** The fleet as the run sees it: the nodes a release or mark names, and the base of the pool cap. */
  fleet: readonly FleetNode[];
  /** GPU readings per node id (lib/actuator/evidence.ts); a node without any is never released. */
  evidence?: ReadonlyMap<string, NodeEvidence>;
  caps?: Partial<RunCaps>;
  loginGraceMinutes?: number;
  budget?: BudgetGuard;
  /** Where refusals are recorded, once per node, reason and hour. */
  ledger?: LedgerRepository;
  releaseMethods?: ReleaseMethodOverrides;
}

export function createActuator(options: ActuatorOptions): Actuator {
  const livePerPool = new Map<string, number>();
  for (const n of options.fleet)
    if (isLive(n)) livePerPool.set(n.poolId, (livePerPool.get(n.poolId) ?? 0) + 1);
  const nodes = new Map(options.fleet.map((n) => [n.nodeId, n]));
  const context: GuardContext = {
    mode: options.mode,
    killSwitch: options.killSwitch,
    nowMs: options.nowMs,
    loginGraceMinutes: options.loginGraceMinutes ?? DEFAULT_LOGIN_GRACE_MINUTES,
    evidence: (nodeId) => options.evidence?.get(nodeId),
    caps: { ...NO_CAPS, ...options.caps },
    tally: { actions: 0, releases: 0, releasesByPool: new Map(), livePerPool },
    ...(options.budget ? { budget: options.budget } : {}),
  };
  const ledgerFailures: string[] = [];

  async function record(target: string, reason: Refusal): Promise<void> {
    if (!options.ledger) return;
    try {
      await options.ledger.record(
        refusalEntry({
          lever: options.lever,
          target,
          mode: options.mode,
          atMs: options.nowMs,
          refusal: reason,
        }),
      );
    } catch (error) {
      ledgerFailures.push(`${target}: ${(error as Error).message}`);
    }
  }

  async function refuse(action: Action, reason: Refusal): Promise<Action> {
    await record(action.nodeIds[0] ?? action.poolId, reason);
    const { error: _error, ...rest } = action;
    return { ...rest, mode: options.mode, status: 'refused', refusal: reason };
  }

  /** Judges and counts; undefined when the change may be carried out now. */
  async function pass(action: Action, request: GuardedRequest): Promise<Action | undefined> {
    const verdict = judge(request, context);
    if (verdict.verdict === 'refuse') return refuse(action, verdict.refusal);
    countAgainstCaps(request, context.tally);
    return verdict.verdict === 'recommend'
      ? { ...action, mode: options.mode, status: 'recommended' }
      : undefined;
  }

  async function nodeStep(
    node: FleetNode,
    kind: 'mark' | 'unmark',
    change: (provider: CapacityProvider) => Promise<void>,
  ): Promise<StepOutcome> {
    const verdict = judge({ kind, node }, context);
    if (verdict.verdict === 'refuse') {
      await record(node.nodeId, verdict.refusal);
      return { status: 'refused', refusal: verdict.refusal };
    }
    if (verdict.verdict === 'recommend') return { status: 'recommended' };
    const provider = await options.connectors.forNode(node);
    if (!provider) {
      const reason = refusal(
        'no-provider',
        `no connector for provider ${node.provider} owns pool ${node.poolId}`,
      );
      await record(node.nodeId, reason);
      return { status: 'refused', refusal: reason };
    }
    try {
      await change(provider);
      return { status: 'done' };
    } catch (error) {
      return { status: 'failed', error: (error as Error).message };
    }
  }

  return {
    mode: options.mode,
    ledgerFailures,
    judge: (request) => judge(request, context),
    refuse,
    async screen(request) {
      const verdict = judge(request, context);
      if (verdict.verdict !== 'refuse') return undefined;
      await record(request.node.nodeId, verdict.refusal);
      return verdict.refusal;
    },

    async launch(action, labels) {
      const option = action.option ?? 'on-demand';
      const count = action.count ?? 0;
      const held = await pass(action, { kind: 'launch', poolId: action.poolId, option, count });
      if (held) return { action: held, launched: [] };
      const provider = await options.connectors.forPool(action.poolId);
      if (!provider)
        return {
          action: await refuse(
            action,
            refusal('no-provider', `no capacity provider owns pool ${action.poolId}`),
          ),
          launched: [],
        };
      try {
        const outcome = await provider.launch({
          poolId: action.poolId,
          option,
          count,
          ...(labels && Object.keys(labels).length > 0 ? { labels } : {}),
        });
        const failure = outcome.failures.map((f) => `${f.count} ${f.code}: ${f.message}`).join('; ');
        return {
          action: {
            ...action,
            mode: options.mode,
            status: outcome.launched.length > 0 ? 'done' : 'failed',
            nodeIds: outcome.launched.map((n) => n.nodeId),
            ...(failure ? { error: failure } : {}),
          },
          launched: outcome.launched,
        };
      } catch (error) {
        return {
          action: { ...action, mode: options.mode, status: 'failed', error: (error as Error).message },
          launched: [],
        };
      }
    },

    async release(action) {
      const nodeId = action.nodeIds[0];
      const node = nodeId === undefined ? undefined : nodes.get(nodeId);
      if (!node)
        return refuse(
          action,
          refusal('not-live', `no node ${nodeId ?? '(none named)'} in the fleet this run sees`),
        );
      if (!isLive(node)) return refuse(action, refusal('not-live', `already ${node.state}`));
      const method = action.releaseMethod ?? releaseMethodFor(node, options.releaseMethods);
      const named: Action = { ...action, releaseMethod: method };
      const held = await pass(named, { kind: 'release', node });
      if (held) return held;
      const provider = await options.connectors.forNode(node);
      if (!provider)
        return refuse(
          named,
          refusal('no-provider', `no connector for provider ${node.provider} owns pool ${node.poolId}`),
        );
      try {
        const outcome = await provider.release({ nodeIds: [node.nodeId], method });
        if (outcome.released.includes(node.nodeId)) return { ...named, mode: options.mode, status: 'done' };
        const said = outcome.refused.find((r) => r.nodeId === node.nodeId)?.reason ?? 'not released';
        return refuse(named, refusal('provider-refused', said));
      } catch (error) {
        return { ...named, mode: options.mode, status: 'failed', error: (error as Error).message };
      }
    },

    mark: (node, mark) => nodeStep(node, 'mark', (p) => p.mark(node.nodeId, mark)),
    unmark: (node) => nodeStep(node, 'unmark', (p) => p.unmark(node.nodeId)),
  };
}
