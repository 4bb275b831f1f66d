// The Slurm cluster as a CapacityProvider: nodes and jobs from slurmrestd; drain, power down/up and marks as node updates.
import type { FleetNode, NodeMark } from '../../domain/fleet.ts';
import type { MicroUsd } from '../../domain/money.ts';
import type { PurchaseOption } from '../../domain/pool.ts';
import {
  NodeNotFoundError,
  type CapacityProvider,
  type Clock,
  type LaunchOutcome,
  type LaunchRequest,
  type QueueDemand,
  type ReleaseOutcome,
  type ReleaseRequest,
  type UtilizationSource,
} from '../../domain/ports.ts';
import type { PriceQuote } from '../../domain/price.ts';
import { toRfc3339 } from '../../domain/time.ts';
import type { UtilizationBatch } from '../../domain/usage.ts';
import type { NodeUpdate, SlurmRestClient } from './client.ts';
import {
  commentWithMark,
  commentWithoutMark,
  DEFAULT_SLURM_FLEET_OPTIONS,
  slurmFleetView,
  slurmNodeId,
  type SlurmFleetOptions,
  type SlurmFleetView,
} from './map.ts';
import type { SlurmNode } from './schemas.ts';

export interface SlurmProviderOptions extends Partial<Omit<SlurmFleetOptions, 'cluster'>> {
  client: SlurmRestClient;
  /** The cluster name in node and pool ids; default: what slurmrestd reports, else "slurm". */
  cluster?: string;
  name?: string;
  /** The configured cost of owning and running one GPU for an hour (on-prem has no price list). */
  onPremUsdPerGpuHour?: MicroUsd;
  /** GPU samples of these nodes, e.g. from Prometheus/DCGM. */
  utilization?: UtilizationSource;
  clock?: Clock;
}

export interface SlurmCapacityProvider extends CapacityProvider {
  /** Gives drained nodes back to the scheduler. */
  resume(nodeIds: readonly string[]): Promise<ReleaseOutcome>;
  /** The raw view of one read: pools, nodes and queue demand together. */
  view(): Promise<SlurmFleetView>;
}

const RELEASE_STATE = { drain: 'DRAIN', 'power-down': 'POWER_DOWN' } as const;

export function createSlurmProvider(options: SlurmProviderOptions): SlurmCapacityProvider {
  const client = options.client;
  const clock = options.clock ?? { now: () => Date.now() };
  let cluster: string | undefined = options.cluster;

  async function clusterName(): Promise<string> {
    cluster ??= (await client.ping()).cluster ?? 'slurm';
    return cluster;
  }

  async function read(): Promise<{ view: SlurmFleetView; raw: Map<string, SlurmNode> }> {
    const fleetOptions: SlurmFleetOptions = {
      ...DEFAULT_SLURM_FLEET_OPTIONS,
      ...Object.fromEntries(
        Object.entries({
          managedFeature: options.managedFeature,
          protectedFeature: options.protectedFeature,
          teamFrom: options.teamFrom,
        }).filter(([, v]) => v !== undefined),
      ),
      cluster: await clusterName(),
    };
    const [nodes, jobs] = await Promise.all([client.nodes(), client.jobs()]);
    const view = slurmFleetView(nodes, jobs, fleetOptions, clock.now());
    const raw = new Map(nodes.map((n) => [slurmNodeId(fleetOptions.cluster, n.name), n]));
    return { view, raw };
  }

  async function findNode(nodeId: string): Promise<{ node: FleetNode; raw: SlurmNode }> {
    const { view, raw } = await read();
    const node = view.nodes.find((n) => n.nodeId === nodeId);
    const slurmNode = raw.get(nodeId);
    if (!node || !slurmNode) throw new NodeNotFoundError(nodeId);
    return { node, raw: slurmNode };
  }

  async function updateEach(
    nodeIds: readonly string[],
    update: NodeUpdate,
    allowed: (node: FleetNode) => string | undefined,
  ): Promise<ReleaseOutcome> {
    const { view, raw } = await read();
    const outcome: ReleaseOutcome = { released: [], refused: [] };
    for (const nodeId of nodeIds) {
      const node = view.nodes.find((n) => n.nodeId === nodeId);
      const slurmNode = raw.get(nodeId);
      if (!node || !slurmNode) {
        outcome.refused.push({ nodeId, reason: 'unknown node: not a GPU node of this cluster' });
        continue;
      }
      const refusal = allowed(node);
      if (refusal) {
        outcome.refused.push({ nodeId, reason: refusal });
        continue;
      }
      try {
        await client.updateNode(slurmNode.name, update);
        outcome.released.push(nodeId);
      } catch (error) {
        outcome.refused.push({ nodeId, reason: `provider error: ${(error as Error).message}` });
      }
    }
    return outcome;
  }

  function mayChange(node: FleetNode): string | undefined {
    if (node.protected) return 'protected: the node carries the protected feature';
    if (!node.managed) return 'not managed: the node lacks the managed feature';
    return undefined;
  }

  const provider: SlurmCapacityProvider = {
    name: options.name ?? 'slurm',
    async view() {
      return (await read()).view;
    },
    async pools() {
      return (await read()).view.pools;
    },
    async nodes() {
      return (await read()).view.nodes;
    },
    async queue(): Promise<QueueDemand[]> {
      return (await read()).view.demand;
    },
    async prices(): Promise<PriceQuote[]> {
      const usdPerGpuHour = options.onPremUsdPerGpuHour;
      if (usdPerGpuHour === undefined) return [];
      const asOf = toRfc3339(clock.now());
      return (await read()).view.pools.map((pool) => ({
        poolId: pool.id,
        option: 'on-prem' as PurchaseOption,
        usdPerHour: usdPerGpuHour * BigInt(pool.gpusPerInstance),
        asOf,
        source: 'configured' as const,
        modelled: false,
      }));
    },
    /** Slurm cannot buy nodes; "launching" powers up powered-down (CLOUD or power-saved) nodes of the pool. */
    async launch(request: LaunchRequest): Promise<LaunchOutcome> {
      const failure = (count: number, code: LaunchOutcome['failures'][number]['code'], message: string) => ({
        poolId: request.poolId,
        option: request.option,
        count,
        code,
        message,
      });
      if (request.option !== 'on-prem') {
        return {
          launched: [],
          failures: [failure(request.count, 'unsupported', 'Slurm nodes are on-prem only')],
        };
      }
      const { view, raw } = await read();
      const candidates = view.nodes.filter(
        (n) => n.poolId === request.poolId && n.state === 'powered-down' && n.managed && !n.protected,
      );
      const outcome: LaunchOutcome = { launched: [], failures: [] };
      let failedByError = 0;
      let lastError = '';
      for (const node of candidates.slice(0, request.count)) {
        try {
          await client.updateNode(raw.get(node.nodeId)!.name, { state: 'POWER_UP' });
          outcome.launched.push({ ...node, state: 'pending', mark: undefined });
        } catch (error) {
          failedByError++;
          lastError = (error as Error).message;
        }
      }
      if (failedByError > 0) outcome.failures.push(failure(failedByError, 'error', lastError));
      const short = request.count - Math.min(request.count, candidates.length);
      if (short > 0) {
        outcome.failures.push(
          failure(
            short,
            'insufficient-capacity',
            `${candidates.length} powered-down node(s) in ${request.poolId}`,
          ),
        );
      }
      return outcome;
    },
    async release(request: ReleaseRequest): Promise<ReleaseOutcome> {
      const method = request.method;
      if (method !== 'drain' && method !== 'power-down') {
        return {
          released: [],
          refused: request.nodeIds.map((nodeId) => ({
            nodeId,
            reason: `method ${method} not offered by Slurm: use drain or power-down`,
          })),
        };
      }
      return updateEach(
        request.nodeIds,
        { state: RELEASE_STATE[method], reason: 'gpu-optimizer: release' },
        mayChange,
      );
    },
    async resume(nodeIds) {
      return updateEach(nodeIds, { state: 'RESUME' }, mayChange);
    },
    async mark(nodeId: string, mark: NodeMark) {
      const { raw } = await findNode(nodeId);
      await client.updateNode(raw.name, { comment: commentWithMark(raw.comment, mark) });
    },
    async unmark(nodeId: string) {
      const { raw } = await findNode(nodeId);
      await client.updateNode(raw.name, { comment: commentWithoutMark(raw.comment) });
    },
    async utilization(fromMs: number, toMs: number): Promise<UtilizationBatch[]> {
      return options.utilization ? options.utilization.utilization(fromMs, toMs) : [];
    },
  };
  return provider;
}
