// From the fleet as it is to the plan's first period: the launch and release decisions, pure; lib/actuator carries them out.
import { isLive, type FleetNode } from '../domain/fleet.ts';
import type { MicroUsd } from '../domain/money.ts';
import type { Action, Mode } from '../domain/plan.ts';
import type { Pool, PurchaseOption } from '../domain/pool.ts';
import { priceKey, type PriceQuote } from '../domain/price.ts';
import { releaseMethodFor } from '../domain/release-methods.ts';

/** Instances wanted now per pool id and option (the plan's first period). */
export type FleetTarget = ReadonlyMap<string, Partial<Record<PurchaseOption, number>>>;

// Reserved instances are a commitment, not something a run launches or releases.
const ADJUSTABLE: readonly PurchaseOption[] = ['on-prem', 'spot', 'on-demand'];

export interface RebalanceInput {
  planId: string;
  target: FleetTarget;
  fleet: readonly FleetNode[];
  pools: readonly Pool[];
  prices: readonly PriceQuote[];
  mode: Mode;
  /**
   * Why a node may not be released (the actuator's guard chain), or undefined when it may: such a node is
   * held and the next one in order is chosen instead. Without it every node is a candidate.
   */
  releaseRefusal?: (node: FleetNode) => string | undefined;
  /** Mean GPU utilization per node id, 0..1, over the recent past: the basis of "delivered" GPU-hours. */
  utilizationByNode?: ReadonlyMap<string, number>;
  gpuThroughput?: Readonly<Record<string, number>>;
}

export interface RebalanceResult {
  /** Launches first (capacity before savings), then releases from the first to let go; uncapped. */
  actions: Action[];
  /** Nodes the plan would release but may not be touched, with why. */
  held: { nodeId: string; reason: string }[];
}

export function rebalance(input: RebalanceInput): RebalanceResult {
  const price = new Map(input.prices.map((q) => [priceKey(q.poolId, q.option), q.usdPerHour]));
  const poolsById = new Map(input.pools.map((p) => [p.id, p]));
  const launches: Action[] = [];
  const releases: { action: Action; rank: number }[] = [];
  const held: RebalanceResult['held'] = [];
  // Releases the plan asked for that the guards held (busy, protected…), per instance type and option.
  const unreleased = new Map<string, number>();

  for (const [poolId, wanted] of input.target) {
    const pool = poolsById.get(poolId);
    if (!pool) continue;
    for (const option of ADJUSTABLE) {
      const live = input.fleet.filter((n) => n.poolId === poolId && n.purchaseOption === option && isLive(n));
      const want = wanted[option] ?? 0;
      const usdPerHour = price.get(priceKey(poolId, option)) ?? 0n;
      if (want > live.length) {
        const count = want - live.length;
        launches.push({
          actionId: `${input.planId}:launch:${poolId}:${option}`,
          kind: 'launch',
          poolId,
          option,
          count,
          nodeIds: [],
          reason: `plan holds ${want} ${option} instance(s) of ${pool.instanceType} now; ${live.length} running`,
          mode: input.mode,
          status: 'recommended',
          expectedSavingUsdPerHour: -usdPerHour * BigInt(count),
        });
        continue;
      }
      let surplus = live.length - want;
      if (surplus <= 0) continue;
      const ordered = orderForRelease(live, usdPerHour, input, pool);
      for (const { node, rank, perDeliveredUsd } of ordered) {
        if (surplus === 0) break;
        const blocker = input.releaseRefusal?.(node);
        if (blocker) {
          held.push({ nodeId: node.nodeId, reason: blocker });
          continue;
        }
        surplus--;
        releases.push({
          rank,
          action: {
            actionId: `${input.planId}:release:${node.nodeId}`,
            kind: 'release',
            poolId,
            option,
            count: 1,
            nodeIds: [node.nodeId],
            releaseMethod: releaseMethodFor(node),
            reason: `plan holds ${want} ${option} instance(s) of ${pool.instanceType} now; ${live.length} running; ${node.runningJobs.length === 0 ? 'idle' : 'busy'}, ${perDeliveredUsd === undefined ? 'no utilization known' : `${(Number(perDeliveredUsd) / 1e6).toFixed(2)} $/delivered GPU-hour`}`,
            mode: input.mode,
            status: 'recommended',
            expectedSavingUsdPerHour: usdPerHour,
          },
        });
      }
      if (surplus > 0)
        unreleased.set(sameKind(pool, option), (unreleased.get(sameKind(pool, option)) ?? 0) + surplus);
    }
  }
  // Capacity comes before savings: launches first, then releases from the most expensive per delivered GPU-hour.
  const kept = keepHeldInsteadOfLaunching(launches, unreleased, poolsById, price);
  return { actions: [...kept, ...releases.sort((a, b) => b.rank - a.rank).map((r) => r.action)], held };
}

/** Instances that can stand in for each other: one instance type, one purchase option. */
const sameKind = (pool: Pool, option: PurchaseOption) => `${pool.instanceType}|${option}`;

/**
 * A plan that moves instances between pools of one instance type (equal prices leave the solver free to pick
 * either zone, hour by hour) launches in one pool and releases in the other. When the guards hold a release (its
 * node runs a job), that node keeps serving: launching its replacement too would hold both, and the fleet would
 * grow by every move the guards stop. So each held release of an instance type and option cancels one launch of
 * the same kind; the move is planned again once the node is idle.
 */
function keepHeldInsteadOfLaunching(
  launches: readonly Action[],
  unreleased: Map<string, number>,
  poolsById: ReadonlyMap<string, Pool>,
  price: ReadonlyMap<string, MicroUsd>,
): Action[] {
  return launches.flatMap((launch) => {
    const pool = poolsById.get(launch.poolId)!;
    const kind = sameKind(pool, launch.option!);
    const held = Math.min(unreleased.get(kind) ?? 0, launch.count ?? 0);
    if (held === 0) return [launch];
    unreleased.set(kind, (unreleased.get(kind) ?? 0) - held);
    const count = (launch.count ?? 0) - held;
    if (count === 0) return [];
    return [
      {
        ...launch,
        count,
        reason: `${launch.reason}; ${held} fewer: busy ${pool.instanceType} ${launch.option} node(s) the plan would release elsewhere keep serving`,
        expectedSavingUsdPerHour: -(price.get(priceKey(launch.poolId, launch.option!)) ?? 0n) * BigInt(count),
      },
    ];
  });
}

/**
 * Idle nodes first (no running job, then longest since last busy), each ordered by cost per delivered
 * GPU-hour: price / (GPUs × throughput × utilization), so a half-used node costs twice a fully used one.
 */
function orderForRelease(
  nodes: readonly FleetNode[],
  usdPerHour: MicroUsd,
  input: RebalanceInput,
  pool: Pool,
) {
  const throughput = input.gpuThroughput?.[pool.gpuModel] ?? 1;
  return nodes
    .map((node) => {
      const utilization = input.utilizationByNode?.get(node.nodeId);
      const delivered = Math.max(node.gpuCount, 1) * throughput * (utilization ?? 1);
      const perDelivered = delivered > 0 ? Number(usdPerHour) / delivered : Number.MAX_SAFE_INTEGER;
      const idleBonus = node.runningJobs.length === 0 ? 1e15 : 0;
      const lastBusy = node.lastBusyAt ? Date.parse(node.lastBusyAt) : 0;
      return {
        node,
        rank: idleBonus + perDelivered - lastBusy / 1e13,
        perDeliveredUsd: utilization === undefined ? undefined : BigInt(Math.round(perDelivered)),
      };
    })
    .sort((a, b) => b.rank - a.rank);
}

/** The plan's first-period instances per pool (reserved too: they serve), the target a run moves the fleet towards. */
export function firstPeriodTarget(
  instances: ReadonlyMap<string, Readonly<Record<PurchaseOption, readonly number[]>>>,
): FleetTarget {
  const target = new Map<string, Partial<Record<PurchaseOption, number>>>();
  for (const [poolId, counts] of instances) {
    target.set(poolId, {
      'on-prem': counts['on-prem'][0] ?? 0,
      reserved: counts.reserved[0] ?? 0,
      spot: counts.spot[0] ?? 0,
      'on-demand': counts['on-demand'][0] ?? 0,
    });
  }
  return target;
}
