// The interruption run: on an EC2 spot interruption warning or rebalance recommendation, note it on the node and replace its capacity at once.
import { z } from 'zod';
import { makeEvent } from '../domain/events.ts';
import type { Action, Mode } from '../domain/plan.ts';
import type { Pool } from '../domain/pool.ts';
import { priceKey } from '../domain/price.ts';
import { isRfc3339, toRfc3339 } from '../domain/time.ts';
import { describeZodError } from '../domain/validation.ts';
import { poolServesClass } from '../domain/workload.ts';
import { carryOut } from '../optimizer/rebalance.ts';
import { gatherFleet, type OptimizePorts } from './optimize.ts';

export const INTERRUPTION_DETAIL_TYPES = {
  'EC2 Spot Instance Interruption Warning': 'interruption',
  'EC2 Instance Rebalance Recommendation': 'rebalance',
} as const;

/** The EventBridge envelope of the two EC2 notices (the fields this run reads). */
export const zEc2NoticeEvent = z.object({
  'detail-type': z.enum(['EC2 Spot Instance Interruption Warning', 'EC2 Instance Rebalance Recommendation']),
  source: z.literal('aws.ec2'),
  time: z.string(),
  region: z.string().optional(),
  detail: z.object({ 'instance-id': z.string().min(1), 'instance-action': z.string().optional() }),
});
export type Ec2NoticeEvent = z.infer<typeof zEc2NoticeEvent>;

/** The same ports as the optimize run: the interruption replans part of the same fleet. */
export type InterruptionPorts = OptimizePorts;

export interface InterruptionConfig {
  mode: Mode;
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
  const parsed = zEc2NoticeEvent.safeParse(raw);
  if (!parsed.success)
    return { handled: false, reason: `not an EC2 notice: ${describeZodError(parsed.error)}` };
  const event = parsed.data;
  const kind = INTERRUPTION_DETAIL_TYPES[event['detail-type']];
  const nowMs = ports.clock.now();
  // Documentation samples carry a placeholder time; the notice is then taken as received now.
  const noticeAt = isRfc3339(event.time) ? event.time : toRfc3339(nowMs);
  const nodeId = event.detail['instance-id'];
  const node = await ports.store.nodes.get(nodeId);
  if (!node) {
    log({ level: 'warn', run: 'interruption', nodeId, reason: 'unknown instance' });
    return { handled: false, reason: `no node ${nodeId} in the fleet` };
  }
  await ports.store.nodes.patch(nodeId, { interruptionNoticeAt: noticeAt });

  const [classes, quotes, fleet] = await Promise.all([
    ports.store.classes.list(),
    ports.prices.quotes(),
    gatherFleet(ports.providers, ports.store),
  ]);
  const poolsById = new Map(fleet.pools.map((p) => [p.id, p]));
  const lost = poolsById.get(node.poolId);
  const price = new Map(quotes.map((q) => [priceKey(q.poolId, q.option), q.usdPerHour]));
  const served = lost ? classes.filter((c) => poolServesClass(lost, c)) : [];
  const throughput = (pool: Pool) => config.gpuThroughput?.[pool.gpuModel] ?? 1;
  const perWork = (pool: Pool, option: string) =>
    Number(price.get(priceKey(pool.id, option)) ?? 0n) / (pool.gpusPerInstance * throughput(pool));
  const fits = (pool: Pool) => served.every((c) => poolServesClass(pool, c));
  const workNeeded = node.gpuCount * (lost ? throughput(lost) : 1);
  const countFor = (pool: Pool) =>
    Math.max(1, Math.ceil(workNeeded / (pool.gpusPerInstance * throughput(pool)) - 1e-9));
  const candidates: { pool: Pool; option: 'spot' | 'on-demand' }[] = [
    ...fleet.pools
      .filter((p) => p.id !== node.poolId && fits(p) && price.has(priceKey(p.id, 'spot')))
      .sort((a, b) => perWork(a, 'spot') - perWork(b, 'spot'))
      .map((pool) => ({ pool, option: 'spot' as const })),
    ...fleet.pools
      .filter((p) => fits(p) && price.has(priceKey(p.id, 'on-demand')))
      .sort((a, b) =>
        a.id === node.poolId
          ? -1
          : b.id === node.poolId
            ? 1
            : perWork(a, 'on-demand') - perWork(b, 'on-demand'),
      )
      .map((pool) => ({ pool, option: 'on-demand' as const })),
  ];
  const actionFor = (c: (typeof candidates)[number]): Action => ({
    actionId: `interruption:${nodeId}:${noticeAt}:${c.pool.id}:${c.option}`,
    kind: 'launch',
    poolId: c.pool.id,
    option: c.option,
    count: countFor(c.pool),
    nodeIds: [],
    reason: `${kind} notice for ${nodeId} in ${node.poolId}: replace ${node.gpuCount} GPU(s) with ${c.option} in ${c.pool.id}`,
    mode: config.mode,
    status: 'recommended',
    expectedSavingUsdPerHour: -(price.get(priceKey(c.pool.id, c.option)) ?? 0n) * BigInt(countFor(c.pool)),
  });

  const actions: Action[] = [];
  if (config.mode === 'recommend') {
    if (candidates[0]) actions.push(actionFor(candidates[0]));
  } else {
    // Try each candidate in turn until one launches: the first pool out of capacity passes to the next.
    for (const candidate of candidates) {
      const [done] = await carryOut([actionFor(candidate)], (poolId) => fleet.owner.get(poolId), 'enforce');
      actions.push(done!);
      if (done!.status === 'done') break;
    }
  }
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
