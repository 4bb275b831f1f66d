// The optimize run (every 15 minutes): forecasts, fleet and prices in; a capacity plan, its actions and a `Capacity Plan Created` event out.
import { makeEvent } from '../domain/events.ts';
import type { Plan } from '../domain/plan.ts';
import type { Clock, EventSink, PriceSource, Store } from '../domain/ports.ts';
import { HOUR_MS, hourStart, toRfc3339 } from '../domain/time.ts';
import { decide, type ClassEvidence } from '../optimizer/decide.ts';
import { zOptimizeConfig, type OptimizeConfigInput } from './optimize-config.ts';
import type { PlanResult } from '../optimizer/planner/index.ts';
import { createActuator } from '../actuator/actuator.ts';
import { carryOutRebalance } from '../actuator/capacity.ts';
import { evidenceFromRollups, evidenceWindow } from '../actuator/evidence.ts';
import { toConnectorRegistry, type ProvidersInput } from '../connectors/registry.ts';
import { describeRefusal } from '../domain/refusal.ts';
import {
  poolsRefusingSpot,
  SPOT_REFUSAL_MEMORY_HOURS,
  spotCapacityAfterRefusals,
} from '../optimizer/spot-refusals.ts';
import { firstPeriodTarget, rebalance } from '../optimizer/rebalance.ts';

export {
  zHourAheadConfig,
  zOptimizeConfig,
  type OptimizeConfig,
  type OptimizeConfigInput,
} from './optimize-config.ts';

import { gatherFleet, type ProviderFailure } from './fleet.ts';

export { gatherFleet };

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
  providerFailures: ProviderFailure[];
  error?: string;
  eventFailures: string[];
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
  // Spot launches refused lately: those pools are planned at the spot they hold until the refusals are old.
  const refusing = poolsRefusingSpot(
    await ports.store.plans.between(startMs - SPOT_REFUSAL_MEMORY_HOURS * HOUR_MS, nowMs),
  );
  const spotCapacity = spotCapacityAfterRefusals(refusing, fleet.nodes);
  if (refusing.size > 0) log({ run: 'optimize', spotCapacityAfterRefusals: spotCapacity });

  let result: PlanResult;
  try {
    const decision = await decide(
      {
        startMs,
        pools: fleet.pools,
        prices: quotes,
        classes,
        evidence,
        fleet: fleet.nodes,
        spotCapacity,
      },
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
