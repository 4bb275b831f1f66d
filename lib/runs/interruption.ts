// The interruption run: on an EC2 spot interruption warning or rebalance recommendation, note it on the node and replace its capacity at once.
import { makeEvent } from '../domain/events.ts';
import { createActuator } from '../actuator/actuator.ts';
import { launchUntilServed } from '../actuator/capacity.ts';
import { replacementCandidates, throughputOf } from '../actuator/fallback.ts';
import { toConnectorRegistry } from '../connectors/registry.ts';
import { parseEc2Notice } from '../ingest/ec2-events.ts';
import type { Action, Mode } from '../domain/plan.ts';
import { priceKey } from '../domain/price.ts';
import { HOUR_MS, isRfc3339, toRfc3339 } from '../domain/time.ts';
import { poolsRefusingSpot, SPOT_REFUSAL_MEMORY_HOURS } from '../optimizer/spot-refusals.ts';
import { gatherFleet } from './fleet.ts';
import type { OptimizePorts } from './optimize.ts';

/** The same ports as the optimize run: the interruption replans part of the same fleet. */
export type InterruptionPorts = OptimizePorts;

export interface InterruptionConfig {
  mode: Mode;
  /** Stops every launch whatever the mode; the run still records the notice and what it would do. */
  killSwitch?: boolean;
  /** At most this many launches (one per pool tried). */
  maxActionsPerRun?: number;
  gpuThroughput?: Readonly<Record<string, number>>;
}

export type InterruptionResult =
  | {
      handled: true;
      nodeId: string;
      replacements: { poolId: string; option: 'spot' | 'on-demand'; count: number }[];
      actions: Action[];
    }
  | { handled: false; reason: string };

/**
 * Records the notice on the node, then replaces it: the cheapest other spot pool (per unit of work) that
 * serves every class the node's pool serves, trying the next when one has no capacity, else on-demand. A
 * greedy choice on purpose: the two-minute notice leaves no time for the full LP, and the next optimize
 * run re-solves the whole fleet from where this leaves it.
 */
export async function runInterruption(
  ports: InterruptionPorts,
  raw: unknown,
  config: InterruptionConfig = { mode: 'recommend' },
): Promise<InterruptionResult> {
  const log = ports.log ?? (() => {});
  const parsed = parseEc2Notice(raw);
  if (!parsed.ok) return { handled: false, reason: `not an EC2 notice: ${parsed.error}` };
  const { kind, instanceId: nodeId, time } = parsed.notice;
  const nowMs = ports.clock.now();
  // Documentation samples carry a placeholder time; the notice is then taken as received now.
  const noticeAt = isRfc3339(time) ? time : toRfc3339(nowMs);
  const node = await ports.store.nodes.get(nodeId);
  if (!node) {
    log({ level: 'warn', run: 'interruption', nodeId, reason: 'unknown instance' });
    return { handled: false, reason: `no node ${nodeId} in the fleet` };
  }
  await ports.store.nodes.patch(nodeId, { interruptionNoticeAt: noticeAt });

  const [classes, quotes, fleet, recentPlans] = await Promise.all([
    ports.store.classes.list(),
    ports.prices.quotes(),
    gatherFleet(ports.providers, ports.store),
    ports.store.plans.between(nowMs - SPOT_REFUSAL_MEMORY_HOURS * HOUR_MS, nowMs),
  ]);
  // Pools whose spot launches the cloud refused lately are not asked again: within a 2-minute notice each refused
  // launch only delays the one that serves (the optimize run plans them at the spot they hold too).
  const refusing = poolsRefusingSpot(recentPlans);
  const lost = fleet.pools.find((p) => p.id === node.poolId);
  const price = new Map(quotes.map((q) => [priceKey(q.poolId, q.option), q.usdPerHour]));
  const actuator = createActuator({
    lever: 'spot-move',
    mode: config.mode,
    killSwitch: config.killSwitch ?? false,
    connectors: toConnectorRegistry(ports.providers).index(fleet.owner),
    nowMs,
    fleet: fleet.nodes,
    caps: { maxActions: config.maxActionsPerRun ?? Infinity },
    ledger: ports.store.ledger,
  });
  const team = node.labels.team;
  // The interrupted pool's spot is what is going away: the same pool is tried again only on-demand.
  const { actions } = lost
    ? await launchUntilServed(actuator, {
        work: node.gpuCount * throughputOf(lost, config.gpuThroughput),
        candidates: replacementCandidates({
          pool: lost,
          option: 'spot',
          pools: fleet.pools,
          prices: quotes,
          classes,
          tried: new Set([...refusing].map((poolId) => priceKey(poolId, 'spot'))),
          ...(config.gpuThroughput ? { gpuThroughput: config.gpuThroughput } : {}),
        }),
        ...(config.gpuThroughput ? { gpuThroughput: config.gpuThroughput } : {}),
        ...(team ? { labels: { team } } : {}),
        action: (c, count): Action => ({
          actionId: `interruption:${nodeId}:${noticeAt}:${c.pool.id}:${c.option}`,
          kind: 'launch',
          poolId: c.pool.id,
          option: c.option,
          count,
          nodeIds: [],
          reason: `${kind} notice for ${nodeId} in ${node.poolId}: replace ${node.gpuCount} GPU(s) with ${c.option} in ${c.pool.id}`,
          mode: config.mode,
          status: 'recommended',
          expectedSavingUsdPerHour: -(price.get(priceKey(c.pool.id, c.option)) ?? 0n) * BigInt(count),
        }),
      })
    : { actions: [] as Action[] };
  const replacements = actions
    .filter((a) => a.status === 'done' || a.status === 'recommended')
    .map((a) => ({
      poolId: a.poolId,
      option: a.option as 'spot' | 'on-demand',
      count: a.status === 'done' ? a.nodeIds.length : (a.count ?? 0),
    }));
  const outcome = await ports.events.put([
    makeEvent(
      'Spot Interruption Handled',
      {
        schemaVersion: '1',
        nodeId,
        poolId: node.poolId,
        kind,
        noticeAt,
        handledAt: toRfc3339(nowMs),
        replacements,
        actions,
      },
      toRfc3339(nowMs),
    ),
  ]);
  if (outcome.failed.length > 0) log({ level: 'error', run: 'interruption', eventFailures: outcome.failed });
  return { handled: true, nodeId, replacements, actions };
}
