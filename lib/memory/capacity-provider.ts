// An in-memory CapacityProvider: a fleet with per-pool capacity limits, the base of the simulated cloud.
import type { FleetNode, NodeMark, ReleaseMethod } from '../domain/fleet.ts';
import { isLive } from '../domain/fleet.ts';
import { poolOptionKey, type Pool, type PurchaseOption } from '../domain/pool.ts';
import {
  NodeNotFoundError,
  type CapacityProvider,
  type Clock,
  type LaunchOutcome,
  type LaunchRequest,
  type QueueDemand,
  type ReleaseOutcome,
  type ReleaseRequest,
} from '../domain/ports.ts';
import { filterQuotes, type PriceQuote } from '../domain/price.ts';
import { toRfc3339 } from '../domain/time.ts';
import type { UtilizationBatch } from '../domain/usage.ts';
import { systemClock } from './clock.ts';

export interface MemoryCapacityOptions {
  name?: string;
  pools: readonly Pool[];
  prices?: readonly PriceQuote[];
  nodes?: readonly FleetNode[];
  /** Live instances a pool can hold per option; absent = unlimited (on-prem pools use maxInstances). */
  capacity?: Record<string, number>;
  /** Which release methods this fleet offers (a cloud stops; Slurm drains or powers down). */
  releaseMethods?: readonly ReleaseMethod[];
  clock?: Clock;
  /** Ids of launched nodes (default `<name>-<n>`); the simulated cloud gives EC2-shaped ids. */
  nodeId?: (sequence: number) => string;
}

export interface MemoryCapacityProvider extends CapacityProvider {
  setCapacity(poolId: string, option: PurchaseOption, instances: number): void;
  setQueue(queue: QueueDemand[]): void;
  setUtilization(batches: UtilizationBatch[]): void;
  /** Ends a node from outside (a spot interruption, a hardware failure). */
  interrupt(nodeId: string): void;
}

const RELEASED_STATE: Record<ReleaseMethod, FleetNode['state']> = {
  stop: 'stopped',
  hibernate: 'stopped',
  terminate: 'terminated',
  drain: 'drained',
  'power-down': 'powered-down',
};

export function capacityKey(poolId: string, option: PurchaseOption): string {
  return poolOptionKey(poolId, option);
}

export function createMemoryCapacityProvider(options: MemoryCapacityOptions): MemoryCapacityProvider {
  const name = options.name ?? 'memory';
  const clock = options.clock ?? systemClock;
  const pools = new Map(options.pools.map((p) => [p.id, p]));
  const nodes = new Map((options.nodes ?? []).map((n) => [n.nodeId, structuredClone(n)]));
  const capacity = new Map(Object.entries(options.capacity ?? {}));
  const releaseMethods = new Set(
    options.releaseMethods ?? ['stop', 'terminate', 'hibernate', 'drain', 'power-down'],
  );
  let queue: QueueDemand[] = [];
  let utilization: UtilizationBatch[] = [];
  let sequence = 0;

  function liveCount(poolId: string, option?: PurchaseOption): number {
    let n = 0;
    for (const node of nodes.values())
      if (node.poolId === poolId && (!option || node.purchaseOption === option) && isLive(node)) n++;
    return n;
  }

  function available(pool: Pool, option: PurchaseOption): number {
    const limit = capacity.get(capacityKey(pool.id, option));
    const byOption = limit === undefined ? Infinity : limit - liveCount(pool.id, option);
    const byPool = pool.maxInstances === undefined ? Infinity : pool.maxInstances - liveCount(pool.id);
    return Math.max(0, Math.min(byOption, byPool));
  }

  function find(nodeId: string): FleetNode {
    const node = nodes.get(nodeId);
    if (!node) throw new NodeNotFoundError(nodeId);
    return node;
  }

  return {
    name,
    async pools() {
      return [...pools.values()].map((p) => ({ ...p }));
    },
    async nodes() {
      return [...nodes.values()].map((n) => structuredClone(n));
    },
    async prices() {
      return filterQuotes(options.prices ?? []);
    },
    async launch(request: LaunchRequest): Promise<LaunchOutcome> {
      const pool = pools.get(request.poolId);
      if (!pool) {
        return {
          launched: [],
          failures: [{ ...request, code: 'unsupported', message: `${name} has no pool ${request.poolId}` }],
        };
      }
      const count = Math.min(request.count, available(pool, request.option));
      const launched: FleetNode[] = [];
      for (let i = 0; i < count; i++) {
        const node: FleetNode = {
          nodeId: options.nodeId ? options.nodeId(++sequence) : `${name}-${++sequence}`,
          provider: pool.provider,
          poolId: pool.id,
          region: pool.region,
          zone: pool.zone,
          instanceType: pool.instanceType,
          purchaseOption: request.option,
          state: 'running',
          gpuModel: pool.gpuModel,
          gpuCount: pool.gpusPerInstance,
          launchedAt: toRfc3339(clock.now()),
          labels: { ...(request.labels ?? {}) },
          managed: true,
          protected: false,
          runningJobs: [],
        };
        nodes.set(node.nodeId, node);
        launched.push(structuredClone(node));
      }
      const failures: LaunchOutcome['failures'] =
        count < request.count
          ? [
              {
                poolId: request.poolId,
                option: request.option,
                count: request.count - count,
                code: 'insufficient-capacity',
                message: `${request.poolId} has capacity for ${count} more ${request.option} instance(s), ${request.count} asked`,
              },
            ]
          : [];
      return { launched, failures };
    },
    async release(request: ReleaseRequest): Promise<ReleaseOutcome> {
      const outcome: ReleaseOutcome = { released: [], refused: [] };
      for (const nodeId of request.nodeIds) {
        const node = nodes.get(nodeId);
        const reason = !node
          ? 'no such node'
          : node.protected
            ? 'node is protected'
            : !node.managed
              ? 'node is not managed by gpu-optimizer'
              : !isLive(node)
                ? `node is already ${node.state}`
                : !releaseMethods.has(request.method)
                  ? `${name} does not offer ${request.method}`
                  : undefined;
        if (reason || !node) {
          outcome.refused.push({ nodeId, reason: reason ?? 'no such node' });
          continue;
        }
        node.state = RELEASED_STATE[request.method];
        outcome.released.push(nodeId);
      }
      return outcome;
    },
    async mark(nodeId: string, mark: NodeMark) {
      find(nodeId).mark = { ...mark };
    },
    async unmark(nodeId: string) {
      delete find(nodeId).mark;
    },
    async utilization(fromMs, toMs) {
      return utilization.filter((b) => {
        const t = Date.parse(b.windowStart);
        return t >= fromMs && t < toMs;
      });
    },
    async queue() {
      return queue.map((q) => ({ ...q }));
    },
    setCapacity(poolId, option, instances) {
      capacity.set(capacityKey(poolId, option), instances);
    },
    setQueue(next) {
      queue = next;
    },
    setUtilization(batches) {
      utilization = batches;
    },
    interrupt(nodeId) {
      find(nodeId).state = 'terminated';
    },
  };
}
