// The optimize run (every 15 minutes): forecasts, fleet and prices in; a capacity plan, its actions and a `Capacity Plan Created` event out.
import { z } from 'zod';
import { makeEvent } from '../domain/events.ts';
import type { FleetNode } from '../domain/fleet.ts';
import type { Plan } from '../domain/plan.ts';
import { zMode } from '../domain/plan.ts';
import type { Pool } from '../domain/pool.ts';
import type { CapacityProvider, Clock, EventSink, PriceSource, Store } from '../domain/ports.ts';
import { hourStart, toRfc3339 } from '../domain/time.ts';
import {
  hourlyDemandFromForecast,
  planCapacity,
  zPlannerSettings,
  type PlanResult,
} from '../optimizer/planner/index.ts';
import { carryOut, firstPeriodTarget, rebalance } from '../optimizer/rebalance.ts';

export const zOptimizeConfig = z.object({
  mode: zMode.default('recommend'),
  /** Stops every change whatever the mode: the run still plans and recommends. */
  killSwitch: z.boolean().default(false),
  quantile: z.enum(['p50', 'p90', 'p99']).default('p90'),
  horizonHours: z.number().int().min(1).max(336).default(168),
  maxActionsPerRun: z.number().int().min(0).max(1000).default(10),
  /** Reserved / committed instances already bought, per pool id. */
  reservedInstances: z.record(z.string(), z.number().int().min(0)).default({}),
  gpuThroughput: z.record(z.string(), z.number().positive()).default({}),
  planner: zPlannerSettings.default({}),
});
export type OptimizeConfig = z.infer<typeof zOptimizeConfig>;
export type OptimizeConfigInput = z.input<typeof zOptimizeConfig>;

export interface OptimizePorts {
  store: Store;
  prices: PriceSource;
  providers: readonly CapacityProvider[];
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

/** Pools and live nodes from every provider; a failing provider is reported and skipped, not fatal. */
export async function gatherFleet(providers: readonly CapacityProvider[], store: Store) {
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
  // What ingest recorded fills in for nodes the providers did not list (agents, connectors polled earlier).
  for (const node of await store.nodes.list()) if (!nodes.has(node.nodeId)) nodes.set(node.nodeId, node);
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
  const demand: Record<string, number[]> = {};
  const classesWithoutForecast: string[] = [];
  for (const workload of classes) {
    const forecast = await ports.store.forecasts.latest(workload.id);
    if (!forecast || forecast.steps.length === 0) {
      classesWithoutForecast.push(workload.id);
      demand[workload.id] = [0];
    } else
      demand[workload.id] = hourlyDemandFromForecast(forecast, config.quantile, startMs, config.horizonHours);
  }
  const base = { actions: [], classesWithoutForecast, providerFailures: fleet.failures, eventFailures: [] };

  let result: PlanResult;
  try {
    result = await planCapacity(
      {
        startMs,
        horizonHours: config.horizonHours,
        pools: fleet.pools,
        prices: quotes,
        classes,
        demand,
        fleet: fleet.nodes,
        reservedInstances: config.reservedInstances,
        gpuThroughput: config.gpuThroughput,
      },
      {
        ...config.planner,
        quantile: config.quantile,
        mode,
        planId: `plan-${toRfc3339(nowMs)}`,
        createdAtMs: nowMs,
      },
    );
  } catch (error) {
    const message = (error as Error).message;
    log({ level: 'error', run: 'optimize', error: message });
    const outcome = await ports.events.put([
      makeEvent('Run Failed', { schemaVersion: '1', run: 'optimize', at: toRfc3339(nowMs), error: message }),
    ]);
    return { ...base, error: message, eventFailures: outcome.failed.map((f) => f.error) };
  }

  const proposed = rebalance({
    planId: result.plan.planId,
    target: firstPeriodTarget(result.instances),
    fleet: fleet.nodes,
    pools: fleet.pools,
    prices: quotes,
    mode,
    maxActions: config.maxActionsPerRun,
    gpuThroughput: config.gpuThroughput,
  });
  const actions = await carryOut(proposed.actions, (poolId) => fleet.owner.get(poolId), mode);
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
    deferred: proposed.deferred,
  });
  return {
    ...base,
    planId: plan.planId,
    totalCostUsd: plan.totalCostUsd,
    actions,
    eventFailures: outcome.failed.map((f) => f.error),
  };
}
