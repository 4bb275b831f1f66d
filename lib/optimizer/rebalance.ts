// From the fleet as it is to the plan's first period: launch and release actions, capped per run, carried out only in enforce mode.
import { isLive, type FleetNode, type ReleaseMethod } from '../domain/fleet.ts';
import type { MicroUsd } from '../domain/money.ts';
import type { Action, Mode } from '../domain/plan.ts';
import type { Pool, Provider, PurchaseOption } from '../domain/pool.ts';
import type { CapacityProvider } from '../domain/ports.ts';
import { priceKey, type PriceQuote } from '../domain/price.ts';

/** Instances wanted now per pool id and option (the plan's first period). */
export type FleetTarget = ReadonlyMap<string, Partial<Record<PurchaseOption, number>>>;

// Reserved instances are a commitment, not something a run launches or releases.
const ADJUSTABLE: readonly PurchaseOption[] = ['on-prem', 'spot', 'on-demand'];

/** How each kind of fleet gives capacity back by default: clouds terminate, clusters drain or power down. */
export const DEFAULT_RELEASE_METHOD: Readonly<Record<Provider, ReleaseMethod>> = {
  aws: 'terminate',
  gcp: 'terminate',
  azure: 'terminate',
  sim: 'terminate',
  onprem: 'power-down',
  slurm: 'drain',
  kubernetes: 'drain',
};

export interface RebalanceInput {
  planId: string;
  target: FleetTarget;
  fleet: readonly FleetNode[];
  pools: readonly Pool[];
  prices: readonly PriceQuote[];
  mode: Mode;
  /** At most this many actions per run (a launch of N instances is one action, each release is one). */
  maxActions: number;
  /** Mean GPU utilization per node id, 0..1, over the recent past: the basis of "delivered" GPU-hours. */
  utilizationByNode?: ReadonlyMap<string, number>;
  gpuThroughput?: Readonly<Record<string, number>>;
}

export interface RebalanceResult {
  actions: Action[];
  /** Nodes the plan would release but may not be touched (protected, unmanaged, running jobs), with why. */
  held: { nodeId: string; reason: string }[];
  /** Actions left for a later run by the per-run cap. */
  deferred: number;
}

/** Why a node may not be released by any run, or undefined when it may. */
export function releaseBlocker(node: FleetNode): string | undefined {
  if (node.protected) return 'protected';
  if (!node.managed) return 'not managed by gpu-optimizer';
  if (node.runningJobs.length > 0) return `running ${node.runningJobs.length} job(s)`;
  return undefined;
}

export function rebalance(input: RebalanceInput): RebalanceResult {
  const price = new Map(input.prices.map((q) => [priceKey(q.poolId, q.option), q.usdPerHour]));
  const poolsById = new Map(input.pools.map((p) => [p.id, p]));
  const launches: Action[] = [];
  const releases: { action: Action; rank: number }[] = [];
  const held: RebalanceResult['held'] = [];

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
        const blocker = releaseBlocker(node);
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
            releaseMethod: DEFAULT_RELEASE_METHOD[node.provider],
            reason: `plan holds ${want} ${option} instance(s) of ${pool.instanceType} now; ${live.length} running; ${node.runningJobs.length === 0 ? 'idle' : 'busy'}, ${perDeliveredUsd === undefined ? 'no utilization known' : `${(Number(perDeliveredUsd) / 1e6).toFixed(2)} $/delivered GPU-hour`}`,
            mode: input.mode,
            status: 'recommended',
            expectedSavingUsdPerHour: usdPerHour,
          },
        });
      }
    }
  }
  // Capacity comes before savings: launches first, then releases from the most expensive per delivered GPU-hour.
  const ranked = [...launches, ...releases.sort((a, b) => b.rank - a.rank).map((r) => r.action)];
  const actions = ranked.slice(0, Math.max(0, input.maxActions));
  return { actions, held, deferred: ranked.length - actions.length };
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

/**
 * Carries out actions: in recommend mode they are only recorded; in enforce mode launches and releases go
 * to the provider that owns the pool, and each action's status says what happened.
 */
export async function carryOut(
  actions: readonly Action[],
  providerOf: (poolId: string) => CapacityProvider | undefined,
  mode: Mode,
): Promise<Action[]> {
  if (mode === 'recommend') return actions.map((a) => ({ ...a, mode, status: 'recommended' }));
  const done: Action[] = [];
  for (const action of actions) {
    const provider = providerOf(action.poolId);
    if (!provider) {
      done.push({
        ...action,
        mode,
        status: 'failed',
        error: `no capacity provider owns pool ${action.poolId}`,
      });
      continue;
    }
    try {
      if (action.kind === 'launch') {
        const outcome = await provider.launch({
          poolId: action.poolId,
          option: action.option ?? 'on-demand',
          count: action.count ?? 0,
        });
        const failure = outcome.failures.map((f) => `${f.count} ${f.code}: ${f.message}`).join('; ');
        done.push({
          ...action,
          mode,
          status: outcome.launched.length > 0 ? 'done' : 'failed',
          nodeIds: outcome.launched.map((n) => n.nodeId),
          ...(failure ? { error: failure } : {}),
        });
      } else if (action.kind === 'release') {
        const outcome = await provider.release({
          nodeIds: action.nodeIds,
          method: action.releaseMethod ?? 'terminate',
        });
        const refused = outcome.refused.map((r) => `${r.nodeId}: ${r.reason}`).join('; ');
        done.push({
          ...action,
          mode,
          status: outcome.released.length > 0 ? 'done' : 'refused',
          ...(refused ? { error: refused } : {}),
        });
      } else done.push({ ...action, mode });
    } catch (error) {
      done.push({ ...action, mode, status: 'failed', error: (error as Error).message });
    }
  }
  return done;
}

/** The plan's first-period instances per pool, the target a run moves the fleet towards. */
export function firstPeriodTarget(
  instances: ReadonlyMap<string, Readonly<Record<PurchaseOption, readonly number[]>>>,
): FleetTarget {
  const target = new Map<string, Partial<Record<PurchaseOption, number>>>();
  for (const [poolId, counts] of instances) {
    target.set(poolId, {
      'on-prem': counts['on-prem'][0] ?? 0,
      spot: counts.spot[0] ?? 0,
      'on-demand': counts['on-demand'][0] ?? 0,
    });
  }
  return target;
}
