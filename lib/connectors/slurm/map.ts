// Slurm nodes and jobs as the domain sees them: fleet nodes, pools (cluster × partition × node type) and queue demand.
import type { FleetNode, NodeMark, NodeState } from '../../domain/fleet.ts';
import { zNodeMark } from '../../domain/fleet.ts';
import { poolId, type Pool } from '../../domain/pool.ts';
import type { QueueDemand } from '../../domain/ports.ts';
import { toRfc3339 } from '../../domain/time.ts';
import { canonicalGpuModel } from '../gpu-model.ts';
import { expandHostlist, gpusInTres, gpuTotal, parseGpuGres } from './gres.ts';
import type { SlurmJob, SlurmNode } from './schemas.ts';

export interface SlurmFleetOptions {
  cluster: string;
  /** Nodes with this feature may be changed by enforce mode. */
  managedFeature: string;
  /** Nodes with this feature are never released. */
  protectedFeature: string;
  /** Whose demand a job is: its Slurm account (the usual team boundary) or its user. */
  teamFrom: 'account' | 'user';
}

export const DEFAULT_SLURM_FLEET_OPTIONS: Omit<SlurmFleetOptions, 'cluster'> = {
  managedFeature: 'gpu-optimizer-managed',
  protectedFeature: 'gpu-optimizer-protected',
  teamFrom: 'account',
};

const MARK_PREFIX = 'gpu-optimizer-mark:';

/** Writes a mark into a node comment after whatever the admins wrote there. */
export function commentWithMark(comment: string, mark: NodeMark): string {
  return `${commentWithoutMark(comment)} ${MARK_PREFIX}${JSON.stringify(mark)}`.trim();
}

export function commentWithoutMark(comment: string): string {
  const at = comment.indexOf(MARK_PREFIX);
  return (at < 0 ? comment : comment.slice(0, at)).trim();
}

export function markInComment(comment: string): NodeMark | undefined {
  const at = comment.indexOf(MARK_PREFIX);
  if (at < 0) return undefined;
  try {
    const parsed = zNodeMark.safeParse(JSON.parse(comment.slice(at + MARK_PREFIX.length)));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function tokensOf(node: SlurmNode): Set<string> {
  return new Set([...node.state, ...(node.state_flags ?? [])]);
}

/** Slurm's base state and flags as one fleet state. */
export function nodeStateOf(node: SlurmNode): NodeState {
  const t = tokensOf(node);
  // POWER_UP / POWER_DOWN are requests slurmctld has queued; POWERING_* are under way.
  if (t.has('POWERING_UP') || t.has('POWER_UP')) return 'pending';
  if (t.has('POWERING_DOWN') || t.has('POWER_DOWN')) return 'stopping';
  if (t.has('POWERED_DOWN')) return 'powered-down';
  if (t.has('FUTURE')) return 'pending';
  if (t.has('DOWN')) return 'stopped';
  if (t.has('DRAIN')) {
    const busy = t.has('ALLOCATED') || t.has('MIXED') || t.has('COMPLETING');
    return busy ? 'draining' : 'drained';
  }
  return 'running';
}

/** The node type a pool is made of, from its GPUs: "h100x4", "h100x2+h200x4", "gpux4" when untyped. */
export function nodeTypeOf(node: SlurmNode): string {
  return parseGpuGres(node.gres)
    .filter((g) => g.count > 0)
    .map((g) => `${(g.type ?? 'gpu').toLowerCase()}x${g.count}`)
    .join('+');
}

function gpuModelOf(node: SlurmNode): { name: string; memoryGiB: number } {
  const models = parseGpuGres(node.gres)
    .filter((g) => g.count > 0)
    .map((g) => canonicalGpuModel(g.type ?? 'unknown'));
  const names = [...new Set(models.map((m) => m.name))];
  // A node with two GPU types is one pool of its own; its memory is the smaller, what any job can count on.
  return { name: names.join('+') || 'unknown', memoryGiB: Math.min(...models.map((m) => m.memoryGiB)) };
}

function epochSecondsToRfc3339(seconds: number | null | undefined): string | undefined {
  return seconds && seconds > 0 ? toRfc3339(seconds * 1000) : undefined;
}

export function isGpuNode(node: SlurmNode): boolean {
  return gpuTotal(parseGpuGres(node.gres)) > 0;
}

function partitionOf(node: SlurmNode): string {
  return node.partitions?.[0] ?? 'none';
}

export function slurmNodeId(cluster: string, nodeName: string): string {
  return `slurm:${cluster}:${nodeName}`;
}

export function slurmPoolOf(node: SlurmNode, options: SlurmFleetOptions): Pool {
  const model = gpuModelOf(node);
  return {
    id: poolId('slurm', options.cluster, partitionOf(node), nodeTypeOf(node)),
    provider: 'slurm',
    region: options.cluster,
    zone: partitionOf(node),
    instanceType: nodeTypeOf(node),
    gpuModel: model.name,
    gpusPerInstance: Math.min(64, gpuTotal(parseGpuGres(node.gres))),
    gpuMemoryGiB: model.memoryGiB,
    // Slurm does not say how a node's GPUs are linked; pcie is the assumption that never over-promises.
    interconnect: 'pcie',
    bootSeconds: 300,
    maxInstances: 0,
  };
}

function isRunning(job: SlurmJob): boolean {
  return job.job_state.some((s) => s === 'RUNNING' || s === 'COMPLETING' || s === 'CONFIGURING');
}

function isPending(job: SlurmJob): boolean {
  return job.job_state.includes('PENDING');
}

/** GPUs a running job holds (gres_detail is per node and exact) or a pending job asks for. */
export function jobGpus(job: SlurmJob): number {
  if (isRunning(job)) {
    const detail = (job.gres_detail ?? []).reduce((sum, d) => sum + gpuTotal(parseGpuGres(d)), 0);
    if (detail > 0) return detail;
    const allocated = gpusInTres(job.tres_alloc_str);
    if (allocated > 0) return allocated;
  }
  const perJob = gpusInTres(job.tres_per_job);
  if (perJob > 0) return perJob;
  const perNode = gpusInTres(job.tres_per_node);
  if (perNode > 0) return perNode * Math.max(1, job.node_count ?? 1);
  const perTask = gpusInTres(job.tres_per_task);
  if (perTask > 0) return perTask * Math.max(1, job.tasks ?? 1);
  return gpusInTres(job.tres_req_str);
}

export interface SlurmFleetView {
  pools: Pool[];
  nodes: FleetNode[];
  demand: QueueDemand[];
}

/** The whole picture of one cluster from one read of its nodes and jobs. */
export function slurmFleetView(
  slurmNodes: readonly SlurmNode[],
  jobs: readonly SlurmJob[],
  options: SlurmFleetOptions,
  seenAtMs: number,
): SlurmFleetView {
  const gpuNodes = slurmNodes.filter(isGpuNode);
  const jobsByNode = new Map<string, string[]>();
  for (const job of jobs.filter(isRunning)) {
    for (const host of expandHostlist(job.nodes)) {
      jobsByNode.set(host, [...(jobsByNode.get(host) ?? []), String(job.job_id)]);
    }
  }
  const pools = new Map<string, Pool>();
  const poolOfNode = new Map<string, string>();
  const nodes = gpuNodes.map((n): FleetNode => {
    const pool = slurmPoolOf(n, options);
    const have = pools.get(pool.id);
    pools.set(pool.id, { ...pool, maxInstances: (have?.maxInstances ?? 0) + 1 });
    poolOfNode.set(n.name, pool.id);
    const mark = markInComment(n.comment);
    const lastBusyAt = epochSecondsToRfc3339(n.last_busy);
    const launchedAt = epochSecondsToRfc3339(n.boot_time);
    return {
      nodeId: slurmNodeId(options.cluster, n.name),
      provider: 'slurm',
      poolId: pool.id,
      region: pool.region,
      zone: pool.zone,
      instanceType: pool.instanceType,
      purchaseOption: 'on-prem',
      state: nodeStateOf(n),
      gpuModel: pool.gpuModel,
      gpuCount: pool.gpusPerInstance,
      labels: {},
      managed: n.features.includes(options.managedFeature),
      protected: n.features.includes(options.protectedFeature),
      lastSeenAt: toRfc3339(seenAtMs),
      runningJobs: jobsByNode.get(n.name) ?? [],
      ...(launchedAt ? { launchedAt } : {}),
      ...(lastBusyAt ? { lastBusyAt } : {}),
      ...(mark ? { mark } : {}),
    };
  });

  // A partition made of one node type is one pool; pending demand there can be placed on it.
  const poolsByPartition = new Map<string, Set<string>>();
  for (const n of gpuNodes) {
    for (const p of n.partitions ?? []) {
      poolsByPartition.set(p, (poolsByPartition.get(p) ?? new Set()).add(poolOfNode.get(n.name)!));
    }
  }
  const demand = new Map<string, QueueDemand>();
  for (const job of jobs) {
    const running = isRunning(job);
    if (!running && !isPending(job)) continue;
    const gpus = jobGpus(job);
    if (gpus === 0) continue;
    const team = (options.teamFrom === 'account' ? job.account : job.user_name) || job.user_name || undefined;
    const firstHost = expandHostlist(job.nodes)[0];
    const partitionPools = poolsByPartition.get(job.partition.split(',')[0] ?? '');
    const pool =
      (running && firstHost ? poolOfNode.get(firstHost) : undefined) ??
      (partitionPools?.size === 1 ? [...partitionPools][0] : undefined);
    const key = `${team ?? ''}|${pool ?? ''}`;
    const entry = demand.get(key) ?? {
      ...(team ? { team } : {}),
      ...(pool ? { poolId: pool } : {}),
      gpusRunning: 0,
      gpusPending: 0,
    };
    if (running) entry.gpusRunning += gpus;
    else entry.gpusPending += gpus;
    demand.set(key, entry);
  }
  return { pools: [...pools.values()], nodes, demand: [...demand.values()] };
}
