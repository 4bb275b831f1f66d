// The reclaim run (every 5 minutes): judges every live node, marks the idle, releases them after their grace, unmarks the busy.
import { z } from 'zod';
import { ledgerEntry, ledgerEntryId } from '../attribution/ledger.ts';
import { nodeRate, priceBook, type PriceBook } from '../attribution/cost.ts';
import { DEFAULT_ATTRIBUTION_OPTIONS, type AttributionOptions } from '../attribution/options.ts';
import { createActuator } from '../actuator/actuator.ts';
import { evidenceFromRollups, evidenceWindow } from '../actuator/evidence.ts';
import { toConnectorRegistry, type ProvidersInput } from '../connectors/registry.ts';
import { makeEvent, type DomainEvent } from '../domain/events.ts';
import { isLive, type FleetNode, type NodeMark } from '../domain/fleet.ts';
import type { Action } from '../domain/plan.ts';
import type { Clock, EventSink, Store } from '../domain/ports.ts';
import { describeRefusal, type Refusal } from '../domain/refusal.ts';
import { stateAfterRelease } from '../domain/release-methods.ts';
import { parseRfc3339, toRfc3339 } from '../domain/time.ts';
import { decideIdle, windowsOf } from '../optimizer/idle/detector.ts';
import type { NodeAssessment, NodeNote, ReclaimPlan } from '../optimizer/idle/lifecycle.ts';
import { keepPlannedHeadroom } from '../optimizer/idle/headroom.ts';
import { planReclaim } from '../optimizer/idle/lifecycle.ts';
import { zReclaimPolicy } from '../optimizer/idle/policy.ts';
import { findStalledJobs, type StalledJob } from '../optimizer/idle/stalled.ts';
import { thresholdsFor, zIdleThresholdConfig } from '../optimizer/idle/thresholds.ts';
import type { IdleDecision } from '../optimizer/idle/types.ts';
import { putEventsInCalls } from './put-events.ts';

export const zReclaimConfig = z.object({
  thresholds: zIdleThresholdConfig.default(zIdleThresholdConfig.parse({})),
  policy: zReclaimPolicy.default(zReclaimPolicy.parse({})),
  /** A release is credited in the ledger for this long at the node's price: the next hour it would have idled. */
  savingsHorizonMinutes: z.number().int().min(1).default(60),
  /**
   * A capacity plan younger than this is respected: the idle nodes it holds as headroom are not reclaimed.
   * 0 turns that off (reclaim then judges every node on its own).
   */
  planMaxAgeMinutes: z.number().int().min(0).default(60),
});
export type ReclaimConfig = z.infer<typeof zReclaimConfig>;
export type ReclaimConfigInput = z.input<typeof zReclaimConfig>;

export type RunLog = (entry: Record<string, unknown>) => void;

export interface ReclaimPorts {
  store: Store;
  /** The fleets that own the nodes: a registry (lib/connectors/registry.ts), a list, or one per provider kind. */
  providers: ProvidersInput;
  events: EventSink;
  clock: Clock;
  log?: RunLog;
  /** Prices on-prem nodes (configured cost per GPU-hour) for the events and the ledger. */
  attribution?: AttributionOptions;
}

export interface ReclaimResult {
  at: string;
  mode: ReclaimPlan['mode'];
  decisions: IdleDecision[];
  marked: string[];
  released: { nodeId: string; method: string; recommendedOnly: boolean }[];
  unmarked: string[];
  /** Left alone this run, with why (lifecycle notes and the guards' refusals as text). */
  held: NodeNote[];
  /** Steps the actuator's guard chain (or the provider) refused, with the typed reason. */
  refused: { nodeId: string; step: 'mark' | 'release' | 'unmark'; refusal: Refusal }[];
  failed: { nodeId: string; step: 'mark' | 'release' | 'unmark' | 'events'; error: string }[];
  /** Jobs alive on their GPUs at 0 %: reported to their owner and team, never killed. */
  stalled: StalledJob[];
}

const jsonLog: RunLog = (entry) => console.log(JSON.stringify(entry));

function hourlyCostOf(node: FleetNode, book: PriceBook, options: AttributionOptions): bigint {
  return nodeRate(node, book, options)?.effectiveUsdPerHour ?? 0n;
}

/** Marked nodes whose current mark already has a recommended release in the ledger. */
async function recommendedReleases(
  store: Store,
  nodes: readonly FleetNode[],
  nowMs: number,
): Promise<Set<string>> {
  const marked = nodes
    .filter((n) => n.mark)
    .map((n) => ({ nodeId: n.nodeId, markedAtMs: parseRfc3339(n.mark!.markedAt) }));
  if (marked.length === 0) return new Set();
  const fromMs = Math.min(...marked.map((m) => m.markedAtMs));
  const ids = new Set((await store.ledger.between(fromMs, nowMs + 1)).map((e) => e.entryId));
  return new Set(
    marked.filter((m) => ids.has(ledgerEntryId('reclaim', m.nodeId, m.markedAtMs))).map((m) => m.nodeId),
  );
}

export async function runReclaim(
  ports: ReclaimPorts,
  configInput: ReclaimConfigInput = {},
): Promise<ReclaimResult> {
  const config = zReclaimConfig.parse(configInput);
  const { store, clock } = ports;
  const log = ports.log ?? jsonLog;
  const attributionOptions = ports.attribution ?? DEFAULT_ATTRIBUTION_OPTIONS;
  const nowMs = clock.now();
  const nodes = (await store.nodes.list()).filter(isLive);

  const assessments: NodeAssessment[] = nodes.map((node) => ({
    node,
    thresholds: thresholdsFor(config.thresholds, node),
    decision: { nodeId: node.nodeId, decision: 'unknown', reason: 'not judged' },
  }));
  const lookbackMinutes = Math.max(0, ...assessments.map((a) => a.thresholds.windowMinutes));
  const rollups = await store.rollups.between(nowMs - lookbackMinutes * 60_000, nowMs);
  const stalled: StalledJob[] = [];
  for (const a of assessments) {
    a.decision = decideIdle(a.node, rollups, a.thresholds, nowMs);
    const windows = windowsOf(a.node.nodeId, rollups, nowMs - a.thresholds.windowMinutes * 60_000, nowMs);
    stalled.push(...findStalledJobs(a.node.nodeId, windows, a.thresholds, nowMs));
  }
  const capacityPlan =
    config.planMaxAgeMinutes > 0
      ? (await store.plans.between(nowMs - config.planMaxAgeMinutes * 60_000, nowMs + 1))
          .filter((p) => p.mode === 'enforce')
          .at(-1)
      : undefined;
  const lifecycle = planReclaim(
    assessments,
    config.policy,
    nowMs,
    await recommendedReleases(store, nodes, nowMs),
  );
  const window = evidenceWindow(nowMs, lookbackMinutes);
  const actuator = createActuator({
    lever: 'reclaim',
    mode: config.policy.mode,
    killSwitch: config.policy.killSwitch,
    connectors: toConnectorRegistry(ports.providers).index(),
    nowMs,
    fleet: nodes,
    evidence: evidenceFromRollups(rollups, window),
    caps: {
      maxReleases: config.policy.maxReleasesPerRun,
      maxPoolReleasePct: config.policy.maxPoolReleasePct,
    },
    loginGraceMinutes: config.thresholds.defaults.loginGraceMinutes,
    ledger: store.ledger,
    releaseMethods: config.policy.releaseMethods,
  });
  // The guard chain screens the lifecycle's steps first, so a node it refuses takes no headroom slot.
  const refusedFirst: { nodeId: string; step: 'mark' | 'release'; refusal: Refusal }[] = [];
  const screened = async <T extends { nodeId: string }>(steps: readonly T[], step: 'mark' | 'release') => {
    const kept: T[] = [];
    for (const s of steps) {
      const node = nodes.find((n) => n.nodeId === s.nodeId)!;
      const refusal = await actuator.screen({ kind: step, node });
      if (refusal) refusedFirst.push({ nodeId: s.nodeId, step, refusal });
      else kept.push(s);
    }
    return kept;
  };
  const guarded = {
    ...lifecycle,
    marks: await screened(lifecycle.marks, 'mark'),
    releases: await screened(lifecycle.releases, 'release'),
  };
  const plan = capacityPlan ? keepPlannedHeadroom(guarded, nodes, capacityPlan) : guarded;
  const byId = new Map(nodes.map((n) => [n.nodeId, n]));
  const book = priceBook(await store.prices.all());
  const refused = (nodeId: string, step: 'mark' | 'release' | 'unmark', refusal: Refusal) => {
    result.refused.push({ nodeId, step, refusal });
    result.held.push({ nodeId, reason: describeRefusal(refusal) });
  };
  const result: ReclaimResult = {
    at: toRfc3339(nowMs),
    mode: plan.mode,
    decisions: assessments.map((a) => a.decision),
    marked: [],
    released: [],
    unmarked: [],
    held: plan.held,
    refused: [],
    failed: [],
    stalled,
  };
  const events: DomainEvent[] = [];

  for (const r of refusedFirst) refused(r.nodeId, r.step, r.refusal);

  // Each node's step fails on its own: one broken connector never stops the rest of the run.
  for (const step of plan.marks) {
    const node = byId.get(step.nodeId)!;
    const mark: NodeMark = { markedAt: toRfc3339(nowMs), reason: step.reason.slice(0, 1024) };
    try {
      const outcome = await actuator.mark(node, mark);
      if (outcome.status === 'refused') {
        refused(node.nodeId, 'mark', outcome.refusal!);
        continue;
      }
      if (outcome.status === 'failed') throw new Error(outcome.error);
      await store.nodes.patch(node.nodeId, { mark });
      result.marked.push(node.nodeId);
      events.push(
        makeEvent('Idle Node Marked', {
          schemaVersion: '1',
          nodeId: node.nodeId,
          poolId: node.poolId,
          ...(node.labels.team ? { team: node.labels.team } : {}),
          markedAt: mark.markedAt,
          idleSince: toRfc3339(step.idleSinceMs),
          graceDeadline: toRfc3339(step.graceDeadlineMs),
          reason: mark.reason,
          mode: plan.mode,
          hourlyCostUsd: hourlyCostOf(node, book, attributionOptions),
        }),
      );
    } catch (error) {
      result.failed.push({ nodeId: node.nodeId, step: 'mark', error: (error as Error).message });
    }
  }

  for (const step of plan.releases) {
    const node = byId.get(step.nodeId)!;
    const savedUsdPerHour = hourlyCostOf(node, book, attributionOptions);
    try {
      const decision: Action = {
        actionId: `reclaim:${node.nodeId}:${toRfc3339(step.markedAtMs)}`,
        kind: 'release',
        poolId: node.poolId,
        option: node.purchaseOption,
        count: 1,
        nodeIds: [node.nodeId],
        releaseMethod: step.method,
        reason: step.reason,
        mode: plan.mode,
        status: 'recommended',
        expectedSavingUsdPerHour: savedUsdPerHour,
      };
      const action = await actuator.release(decision);
      if (action.status === 'refused') {
        refused(node.nodeId, 'release', action.refusal!);
        continue;
      }
      if (action.status === 'failed') throw new Error(action.error);
      const enforced = action.status === 'done';
      if (enforced)
        await store.nodes.patch(node.nodeId, { state: stateAfterRelease(step.method), mark: undefined });
      const entry = ledgerEntry({
        lever: 'reclaim',
        target: node.nodeId,
        reason: step.reason,
        mode: plan.mode,
        status: enforced ? 'done' : 'recommended',
        atMs: nowMs,
        periodStartMs: nowMs,
        periodEndMs: nowMs + config.savingsHorizonMinutes * 60_000,
        counterfactualUsdPerHour: savedUsdPerHour,
        actualUsdPerHour: 0n,
        // Named by its mark: a recommendation repeated every run while the node stays idle is recorded once.
        idMs: step.markedAtMs,
      });
      // A replayed run finds its entry already there and announces nothing twice.
      if ((await store.ledger.record(entry)) === 'exists' && !enforced) continue;
      result.released.push({ nodeId: node.nodeId, method: step.method, recommendedOnly: !enforced });
      events.push(
        makeEvent('Node Released', {
          schemaVersion: '1',
          nodeId: node.nodeId,
          poolId: node.poolId,
          ...(node.labels.team ? { team: node.labels.team } : {}),
          releasedAt: toRfc3339(nowMs),
          method: step.method,
          mode: plan.mode,
          reason: step.reason,
          savedUsdPerHour,
        }),
      );
    } catch (error) {
      result.failed.push({ nodeId: node.nodeId, step: 'release', error: (error as Error).message });
    }
  }

  for (const step of plan.unmarks) {
    const node = byId.get(step.nodeId)!;
    try {
      const outcome = await actuator.unmark(node);
      if (outcome.status === 'refused') {
        refused(node.nodeId, 'unmark', outcome.refusal!);
        continue;
      }
      if (outcome.status === 'failed') throw new Error(outcome.error);
      await store.nodes.patch(node.nodeId, { mark: undefined });
      result.unmarked.push(node.nodeId);
    } catch (error) {
      result.failed.push({ nodeId: node.nodeId, step: 'unmark', error: (error as Error).message });
    }
  }

  for (const { event, error } of await putEventsInCalls(ports.events, events)) {
    const nodeId = 'nodeId' in event.detail ? String(event.detail.nodeId) : '?';
    result.failed.push({ nodeId, step: 'events', error });
  }

  for (const job of stalled) log({ level: 'warn', msg: 'stalled job: alive on its GPUs at 0 %', ...job });
  for (const f of result.failed) log({ level: 'error', msg: `reclaim ${f.step} failed`, ...f });
  log({
    level: 'info',
    msg: 'reclaim run',
    at: result.at,
    mode: result.mode,
    nodes: nodes.length,
    idle: result.decisions.filter((d) => d.decision === 'idle').length,
    unknown: result.decisions.filter((d) => d.decision === 'unknown').length,
    marked: result.marked.length,
    released: result.released.length,
    unmarked: result.unmarked.length,
    held: result.held.length,
    stalled: stalled.length,
  });
  return result;
}
