// The optimize run (every 15 minutes): forecasts, fleet and prices in; a capacity plan, its actions and a `Capacity Plan Created` event out.
import { z } from 'zod';
import { makeEvent } from '../domain/events.ts';
import type { FleetNode } from '../domain/fleet.ts';
import type { Plan } from '../domain/plan.ts';
import { zMode } from '../domain/plan.ts';
import type { Pool } from '../domain/pool.ts';
import type { CapacityProvider, Clock, EventSink, PriceSource, Store } from '../domain/ports.ts';
import { HOUR_MS, hourStart, toRfc3339 } from '../domain/time.ts';
import { decide, zDecisionConfig, type ClassEvidence } from '../optimizer/decide.ts';
import type { PlanResult } from '../optimizer/planner/index.ts';
import { createActuator } from '../actuator/actuator.ts';
import { carryOutRebalance } from '../actuator/capacity.ts';
import { evidenceFromRollups, evidenceWindow } from '../actuator/evidence.ts';
import { toConnectorRegistry, type ProvidersInput } from '../connectors/registry.ts';
import { describeRefusal } from '../domain/refusal.ts';
import { firstPeriodTarget, rebalance } from '../optimizer/rebalance.ts';

export { zHourAheadConfig } from '../optimizer/decide.ts';

/** The decision's settings (one set of defaults, shared with the simulator) and what only the run needs. */
export const zOptimizeConfig = zDecisionConfig.extend({
  mode: zMode.default('recommend'),
  /** Stops every change whatever the mode: the run still plans and recommends. */
  killSwitch: z.boolean().default(false),
  maxActionsPerRun: z.number().int().min(0).max(1000).default(10),
});
export type OptimizeConfig = z.infer<typeof zOptimizeConfig>;
export type OptimizeConfigInput = z.input<typeof zOptimizeConfig>;

export interface OptimizePorts {
  store: Store;
  prices: PriceSource;
  /** Every fleet the run may plan and act on: a registry (lib/connectors/registry.ts) or a list. */
  providers: ProvidersInput;
  events: EventSink;
  clock: Clock;
  log?: (entry: Record<string, unknown>) => void;
}

export interface OptimizeRunResult {
  planId?: string;
  totalCostUsd?: bigint;
  actions: Plan['actions'];
  /** Classes planned for with no forecast yet (planned at zero demand). */
  classesWithoutForecast: string[];
  /** Providers that failed to answer; their pools were left out of this run. */
  providerFailures: { provider: string; error: string }[];
  error?: string;
  eventFailures: string[];
}

/** A provider's node with the facts only its agent knows (jobs, last busy, last login) from the stored node. */
function withAgentFacts(listed: FleetNode, stored: FleetNode): FleetNode {
  return {
    ...listed,
    runningJobs: listed.runningJobs.length > 0 ? listed.runningJobs : stored.runningJobs,
    lastSeenAt: listed.lastSeenAt ?? stored.lastSeenAt,
    lastBusyAt: listed.lastBusyAt ?? stored.lastBusyAt,
    lastLoginAt: listed.lastLoginAt ?? stored.lastLoginAt,
    interruptionNoticeAt: listed.interruptionNoticeAt ?? stored.interruptionNoticeAt,
  };
}

/** Pools and live nodes from every provider; a failing provider is reported and skipped, not fatal. */
export async function gatherFleet(fleets: ProvidersInput, store: Store) {
  const providers = toConnectorRegistry(fleets).providers;
  const pools: Pool[] = [];
  const nodes = new Map<string, FleetNode>();
  const owner = new Map<string, CapacityProvider>();
  const failures: OptimizeRunResult['providerFailures'] = [];
  for (const provider of providers) {
    try {
      const [providerPools, providerNodes] = await Promise.all([provider.pools(), provider.nodes()]);
      for (const pool of providerPools) {
        pools.push(pool);
        owner.set(pool.id, provider);
      }
      for (const node of providerNodes) nodes.set(node.nodeId, node);
    } catch (error) {
      failures.push({ provider: provider.name, error: (error as Error).message });
    }
  }
  // What ingest recorded fills in for nodes the providers did not list (agents, connectors polled earlier),
  // and tells what a cloud API cannot: the jobs on a node and when it was last busy, which guard releases.
  for (const stored of await store.nodes.list()) {
    const listed = nodes.get(stored.nodeId);
    if (!listed) nodes.set(stored.nodeId, stored);
    else nodes.set(stored.nodeId, withAgentFacts(listed, stored));
  }
  return { pools, nodes: [...nodes.values()], owner, failures };
}

export async function runOptimize(
  ports: OptimizePorts,
  configInput: OptimizeConfigInput = {},
): Promise<OptimizeRunResult> {
  const config = zOptimizeConfig.parse(configInput);
  const log = ports.log ?? (() => {});
  const nowMs = ports.clock.now();
  const startMs = hourStart(nowMs);
  const mode = config.killSwitch ? 'recommend' : config.mode;
  const [classes, quotes, fleet] = await Promise.all([
    ports.store.classes.list(),
    ports.prices.quotes(),
    gatherFleet(ports.providers, ports.store),
  ]);
  // The run's I/O: each class's latest forecast and the week the first hour is planned from; the decision is pure.
  const fromMs = startMs - config.hourAhead.windowHours * HOUR_MS;
  const actual = config.hourAhead.enabled ? await ports.store.demand.between(fromMs, startMs) : [];
  const evidence = new Map<string, ClassEvidence>();
  for (const workload of classes) {
    const latest = (await ports.store.forecasts.latest(workload.id)) ?? undefined;
    evidence.set(workload.id, {
      latest,
      actual: actual.filter((a) => a.classId === workload.id),
      pastForecasts:
        config.hourAhead.enabled && latest
          ? await ports.store.forecasts.between(workload.id, fromMs, startMs)
          : [],
    });
  }
  const classesWithoutForecast = classes
    .filter((w) => !evidence.get(w.id)?.latest || evidence.get(w.id)!.latest!.steps.length === 0)
    .map((w) => w.id);
  const base = { actions: [], classesWithoutForecast, providerFailures: fleet.failures, eventFailures: [] };

  let result: PlanResult;
  try {
    const decision = await decide(
      { startMs, pools: fleet.pools, prices: quotes, classes, evidence, fleet: fleet.nodes },
      config,
      { mode, planId: `plan-${toRfc3339(nowMs)}`, createdAtMs: nowMs },
    );
    for (const f of decision.firstHour)
      log({ run: 'optimize', classId: f.classId, firstHourForecast: f.forecast, firstHourPlan: f.plan });
    for (const c of decision.result.stats.components)
      if (c.fallback) log({ level: 'warn', run: 'optimize', solverFallback: c.fallback });
    result = decision.result;
  } catch (error) {
    const message = (error as Error).message;
    log({ level: 'error', run: 'optimize', error: message });
    const outcome = await ports.events.put([
      makeEvent('Run Failed', { schemaVersion: '1', run: 'optimize', at: toRfc3339(nowMs), error: message }),
    ]);
    return { ...base, error: message, eventFailures: outcome.failed.map((f) => f.error) };
  }

  // Everything from here changes the fleet only through the actuator and its guard chain.
  const window = evidenceWindow(nowMs);
  const actuator = createActuator({
    lever: 'rebalance',
    mode,
    killSwitch: config.killSwitch,
    connectors: toConnectorRegistry(ports.providers).index(fleet.owner),
    nowMs,
    fleet: fleet.nodes,
    evidence: evidenceFromRollups(await ports.store.rollups.between(window.fromMs, nowMs), window),
    caps: { maxActions: config.maxActionsPerRun },
    ledger: ports.store.ledger,
  });
  const target = firstPeriodTarget(result.instances);
  const proposed = rebalance({
    planId: result.plan.planId,
    target,
    fleet: fleet.nodes,
    pools: fleet.pools,
    prices: quotes,
    mode,
    gpuThroughput: config.gpuThroughput,
    releaseRefusal: (node) => {
      const verdict = actuator.judge({ kind: 'release', node });
      return verdict.verdict === 'refuse' ? describeRefusal(verdict.refusal) : undefined;
    },
  });
  const actions = await carryOutRebalance(actuator, {
    actions: proposed.actions,
    target,
    fleet: fleet.nodes,
    pools: fleet.pools,
    prices: quotes,
    classes,
    gpuThroughput: config.gpuThroughput,
  });
  const plan: Plan = { ...result.plan, actions };
  await ports.store.plans.create(plan);

  const firstStart = plan.horizonStart;
  const outcome = await ports.events.put([
    makeEvent(
      'Capacity Plan Created',
      {
        schemaVersion: '1',
        planId: plan.planId,
        createdAt: plan.createdAt,
        mode,
        horizonStart: plan.horizonStart,
        horizonEnd: plan.horizonEnd,
        totalCostUsd: plan.totalCostUsd,
        firstPeriod: plan.lines
          .filter((l) => l.periodStart === firstStart)
          .map((l) => ({ poolId: l.poolId, option: l.option, instances: l.instances, costUsd: l.costUsd })),
        explanations: plan.explanations,
        actions,
      },
      plan.createdAt,
    ),
  ]);
  log({
    level: 'info',
    run: 'optimize',
    planId: plan.planId,
    seconds: result.stats.seconds,
    actions: actions.length,
    held: proposed.held.length,
    refused: actions.filter((a) => a.status === 'refused').length,
  });
  return {
    ...base,
    planId: plan.planId,
    totalCostUsd: plan.totalCostUsd,
    actions,
    eventFailures: outcome.failed.map((f) => f.error),
  };
}
