// Kubernetes nodes and pods as the domain sees them: GPU nodes, their pools, GPU pods running and pending.
import type { FleetNode, NodeMark, NodeState } from '../../domain/fleet.ts';
import { poolId, type Pool, type PurchaseOption } from '../../domain/pool.ts';
import type { QueueDemand } from '../../domain/ports.ts';
import { toRfc3339 } from '../../domain/time.ts';
import { physicalGpusFor, partitionKey, deviceShare } from '../../domain/gpu.ts';
import { resolveGpuDevice, type ResolvedGpuDevice } from '../gpu-model.ts';
import type { KubeNode, KubePod } from './schemas.ts';

export const GPU_RESOURCE = 'nvidia.com/gpu';

export interface KubeLabelKeys {
  managed: string;
  protected: string;
  /** The label a mark sets ("true"): selectable with kubectl; its time and reason go in annotations. */
  marked: string;
  markedAt: string;
  markReason: string;
  /** Pod label naming the team; without it the namespace is the team. */
  team: string;
}

export const DEFAULT_KUBE_LABEL_KEYS: KubeLabelKeys = {
  managed: 'gpu-optimizer.io/managed',
  protected: 'gpu-optimizer.io/protected',
  marked: 'gpu-optimizer.io/marked',
  markedAt: 'gpu-optimizer.io/marked-at',
  markReason: 'gpu-optimizer.io/mark-reason',
  team: 'team',
};

function quantity(text: string | undefined): number {
  const n = Number(text ?? 0);
  return Number.isFinite(n) ? n : 0;
}

/**
 * The node's GPU identity from gpu-feature-discovery's labels: the physical model and, when the GPUs are shared,
 * the partition (MIG "single" strategy: gpu.product ends in -MIG-<profile>; vGPU: GRID-A100-4C; time-slicing:
 * gpu.replicas > 1). gpu.memory is the device's memory (a slice's, a vGPU's), never taken for the board's.
 */
export function kubeGpuDevice(node: KubeNode): ResolvedGpuDevice {
  const labels = node.metadata.labels;
  const product = labels['nvidia.com/gpu.product'] ?? 'unknown';
  const memory = quantity(labels['nvidia.com/gpu.memory']);
  // GFD writes gpu.memory in MiB, but time-sliced nodes on OpenShift have shown bytes: > 1 TiB in MiB is bytes.
  const memoryMiB = memory > 1024 ** 2 ? memory / 1024 ** 2 : memory || undefined;
  return resolveGpuDevice(product, {
    ...(memoryMiB !== undefined ? { memoryMiB } : {}),
    replicas: Math.max(1, quantity(labels['nvidia.com/gpu.replicas'])),
  });
}

/**
 * Physical GPUs. GFD's gpu.count counts devices under the MIG single strategy (7 slices of one GPU) and
 * physical GPUs under time-slicing; without it, the advertised count divided by the devices one GPU holds.
 */
export function physicalGpus(node: KubeNode, device: ResolvedGpuDevice = kubeGpuDevice(node)): number {
  const labels = node.metadata.labels;
  const counted = quantity(labels['nvidia.com/gpu.count']);
  const partition = device.partition;
  if (counted > 0)
    return partition && partition.kind !== 'time-slice' ? physicalGpusFor(counted, partition) : counted;
  const advertised = quantity(node.status?.capacity[GPU_RESOURCE]);
  return partition
    ? Math.floor(advertised / partition.devicesPerGpu) || (advertised > 0 ? 1 : 0)
    : advertised;
}

export function isGpuNode(node: KubeNode): boolean {
  return quantity(node.status?.capacity[GPU_RESOURCE]) > 0;
}

export function podGpus(pod: KubePod): number {
  return pod.spec.containers.reduce(
    (sum, c) => sum + quantity(c.resources.limits[GPU_RESOURCE] ?? c.resources.requests[GPU_RESOURCE]),
    0,
  );
}

/** Spot or on-demand from the labels Karpenter, EKS, GKE and AKS set; a node with no cloud is on-prem. */
export function purchaseOptionOf(node: KubeNode): PurchaseOption {
  const l = node.metadata.labels;
  const spot =
    l['karpenter.sh/capacity-type'] === 'spot' ||
    l['eks.amazonaws.com/capacityType'] === 'SPOT' ||
    l['cloud.google.com/gke-spot'] === 'true' ||
    l['cloud.google.com/gke-preemptible'] === 'true' ||
    l['kubernetes.azure.com/scalesetpriority'] === 'spot';
  if (spot) return 'spot';
  return /^(aws|gce|azure):\/\//.test(node.spec?.providerID ?? '') ? 'on-demand' : 'on-prem';
}

function nodeState(node: KubeNode, gpuPodsOnNode: number): NodeState {
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready && ready.status !== 'True') return 'stopped';
  if (node.spec?.unschedulable) return gpuPodsOnNode > 0 ? 'draining' : 'drained';
  return 'running';
}

export function kubeNodeId(cluster: string, name: string): string {
  return `k8s:${cluster}:${name}`;
}

export function kubePoolOf(
  node: KubeNode,
  cluster: string,
  device: ResolvedGpuDevice = kubeGpuDevice(node),
): Pool {
  const l = node.metadata.labels;
  const product = l['nvidia.com/gpu.product'] ?? 'unknown';
  const instanceType = (
    l['node.kubernetes.io/instance-type'] ??
    l['beta.kubernetes.io/instance-type'] ??
    l['nvidia.com/gpu.machine'] ??
    product
  ).replace(/:/g, '_');
  const zone = l['topology.kubernetes.io/zone'] ?? l['failure-domain.beta.kubernetes.io/zone'] ?? 'default';
  const region = l['topology.kubernetes.io/region'] ?? cluster;
  // Nodes whose GPUs are cut differently are different pools, even of one instance type.
  const shared = partitionKey(device.partition);
  return {
    id: poolId(
      'kubernetes',
      `${cluster}/${region}`,
      zone,
      shared ? `${instanceType}+${shared}` : instanceType,
    ),
    provider: 'kubernetes',
    region: `${cluster}/${region}`,
    zone,
    instanceType,
    gpuModel: device.physical.name,
    gpusPerInstance: Math.max(1, Math.min(64, physicalGpus(node, device))),
    gpuMemoryGiB: device.physical.memoryGiB,
    interconnect: 'pcie',
    ...(device.partition ? { gpuPartition: device.partition } : {}),
    bootSeconds: 300,
  };
}

export function markOf(node: KubeNode, keys: KubeLabelKeys): NodeMark | undefined {
  if (node.metadata.labels[keys.marked] !== 'true') return undefined;
  const markedAt = node.metadata.annotations[keys.markedAt];
  if (!markedAt) return undefined;
  return { markedAt, reason: node.metadata.annotations[keys.markReason] || 'marked' };
}

function isLivePod(pod: KubePod): boolean {
  return pod.status?.phase === 'Running' || pod.status?.phase === 'Pending';
}

export interface KubeFleetView {
  pools: Pool[];
  nodes: FleetNode[];
  demand: QueueDemand[];
}

export function kubeFleetView(
  kubeNodes: readonly KubeNode[],
  pods: readonly KubePod[],
  cluster: string,
  keys: KubeLabelKeys,
  seenAtMs: number,
): KubeFleetView {
  const gpuPods = pods.filter((p) => isLivePod(p) && podGpus(p) > 0);
  const podsByNode = new Map<string, KubePod[]>();
  for (const pod of gpuPods) {
    if (pod.spec.nodeName)
      podsByNode.set(pod.spec.nodeName, [...(podsByNode.get(pod.spec.nodeName) ?? []), pod]);
  }
  const pools = new Map<string, Pool>();
  const poolOfNode = new Map<string, Pool>();
  const nodes = kubeNodes.filter(isGpuNode).map((n): FleetNode => {
    const device = kubeGpuDevice(n);
    const pool = kubePoolOf(n, cluster, device);
    pools.set(pool.id, pool);
    poolOfNode.set(n.metadata.name, pool);
    const onNode = podsByNode.get(n.metadata.name) ?? [];
    const mark = markOf(n, keys);
    const created = n.metadata.creationTimestamp;
    return {
      nodeId: kubeNodeId(cluster, n.metadata.name),
      provider: 'kubernetes',
      poolId: pool.id,
      region: pool.region,
      zone: pool.zone,
      instanceType: pool.instanceType,
      purchaseOption: purchaseOptionOf(n),
      state: nodeState(n, onNode.length),
      gpuModel: pool.gpuModel,
      gpuCount: physicalGpus(n, device),
      ...(device.partition
        ? {
            gpuPartition: {
              ...device.partition,
              devicesOnNode: quantity(n.status?.capacity[GPU_RESOURCE]),
            },
          }
        : {}),
      ...(created ? { launchedAt: toRfc3339(Date.parse(created)) } : {}),
      labels: {},
      managed: n.metadata.labels[keys.managed] === 'true',
      protected: n.metadata.labels[keys.protected] === 'true',
      lastSeenAt: toRfc3339(seenAtMs),
      runningJobs: onNode
        .filter((p) => p.status?.phase === 'Running')
        .map((p) => `${p.metadata.namespace}/${p.metadata.name}`),
      ...(mark ? { mark } : {}),
    };
  });
  const demand = new Map<string, QueueDemand>();
  for (const pod of gpuPods) {
    const team = pod.metadata.labels[keys.team] ?? pod.metadata.namespace;
    const running = pod.status?.phase === 'Running';
    const pool = pod.spec.nodeName ? poolOfNode.get(pod.spec.nodeName) : undefined;
    const key = `${team ?? ''}|${pool?.id ?? ''}`;
    const entry = demand.get(key) ?? {
      ...(team ? { team } : {}),
      ...(pool ? { poolId: pool.id } : {}),
      gpusRunning: 0,
      gpusPending: 0,
    };
    // A pod on a shared GPU holds devices (slices, vGPUs, replicas): its demand is their share of physical GPUs.
    const share = deviceShare(pool?.gpuPartition);
    const gpus = (podGpus(pod) * share.num) / share.den;
    if (running) entry.gpusRunning += gpus;
    else entry.gpusPending += gpus;
    demand.set(key, entry);
  }
  return { pools: [...pools.values()], nodes, demand: [...demand.values()] };
}
