// Compute Engine instances as fleet nodes: GPUs from accelerators or the machine type, state, spot, and the labels that carry managed, protected and mark.
import type { protos } from '@google-cloud/compute';
import type { FleetNode, NodeMark, NodeState } from '../../domain/fleet.ts';
import { poolId, type PurchaseOption } from '../../domain/pool.ts';
import { parseRfc3339, toRfc3339 } from '../../domain/time.ts';
import type { Catalog } from '../../pricing/catalog.ts';
import { canonicalGpuModel } from '../gpu-model.ts';
import { catalogOffering, VM_KEYS } from '../cloud-vm.ts';

export type GcpInstance = protos.google.cloud.compute.v1.IInstance;

/** Label keys; the mark reason is a metadata item, since label values allow no free text. */
export const GCP_KEYS = VM_KEYS;

const STATES: Record<string, NodeState> = {
  PROVISIONING: 'pending',
  STAGING: 'pending',
  RUNNING: 'running',
  REPAIRING: 'running',
  STOPPING: 'stopping',
  SUSPENDING: 'stopping',
  SUSPENDED: 'stopped',
  STOPPED: 'stopped',
  // Compute Engine calls a stopped VM TERMINATED; a deleted one is simply gone.
  TERMINATED: 'stopped',
};

/** Accelerator types that attach to N1 machines; A2/A3/A4/G2 carry their GPUs in the machine type. */
const N1_ACCELERATORS: Record<string, string> = {
  T4: 'nvidia-tesla-t4',
  V100: 'nvidia-tesla-v100',
  P100: 'nvidia-tesla-p100',
  P4: 'nvidia-tesla-p4',
};

/** The last path segment of a Compute Engine URL ("…/zones/us-central1-a" → "us-central1-a"). */
export function lastSegment(url: string | null | undefined): string {
  return (url ?? '').split('/').pop() ?? '';
}

/** "nvidia-tesla-t4" → T4, "nvidia-h100-80gb" → H100, "nvidia-a100-80gb" → A100-80GB. */
export function acceleratorModel(acceleratorType: string): string {
  return canonicalGpuModel(lastSegment(acceleratorType).replace(/^nvidia-(tesla-)?/, '')).name;
}

/**
 * The pool instance type of a machine: its own name where the catalog knows it (a2-highgpu-1g), else the
 * catalog's convention for N1 with attached GPUs ("n1-standard-8+1xT4").
 */
export function composeInstanceType(machineType: string, gpuModel: string, gpuCount: number): string {
  return `${machineType}+${gpuCount}x${gpuModel}`;
}

/** What to ask Compute Engine for, for a pool instance type: the machine type and any accelerators to attach. */
export function machineRequest(instanceType: string): {
  machineType: string;
  accelerator?: { type: string; count: number };
} {
  const m = /^(.+)\+(\d+)x(.+)$/.exec(instanceType);
  if (!m) return { machineType: instanceType };
  const type = N1_ACCELERATORS[m[3]!] ?? `nvidia-${m[3]!.toLowerCase()}`;
  return { machineType: m[1]!, accelerator: { type, count: Number(m[2]) } };
}

export interface GpuShape {
  instanceType: string;
  gpuModel: string;
  gpuCount: number;
}

/** The GPUs of an instance, or undefined for a VM without GPUs (not ours to list). */
export function gpuShapeOf(instance: GcpInstance, catalog: Catalog, region: string): GpuShape | undefined {
  const machineType = lastSegment(instance.machineType);
  const offering = catalogOffering(catalog, 'gcp', machineType, region);
  if (offering) {
    return { instanceType: machineType, gpuModel: offering.gpuModel, gpuCount: offering.gpuCount };
  }
  const accelerators = (instance.guestAccelerators ?? []).filter((a) => (a.acceleratorCount ?? 0) > 0);
  const first = accelerators[0];
  if (!first) return undefined;
  const gpuModel = acceleratorModel(first.acceleratorType ?? 'unknown');
  const gpuCount = accelerators.reduce((n, a) => n + (a.acceleratorCount ?? 0), 0);
  return { instanceType: composeInstanceType(machineType, gpuModel, gpuCount), gpuModel, gpuCount };
}

export function purchaseOptionOf(instance: GcpInstance): PurchaseOption {
  const s = instance.scheduling;
  if (s?.provisioningModel === 'SPOT' || s?.preemptible) return 'spot';
  if (instance.reservationAffinity?.consumeReservationType === 'SPECIFIC_RESERVATION') return 'reserved';
  return 'on-demand';
}

/** The node id: the instance's partial resource path, which names project, zone and VM at once. */
export function gcpNodeId(project: string, zone: string, name: string): string {
  return `projects/${project}/zones/${zone}/instances/${name}`;
}

export function parseGcpNodeId(nodeId: string): { project: string; zone: string; name: string } | undefined {
  const m = /^projects\/([^/]+)\/zones\/([^/]+)\/instances\/([^/]+)$/.exec(nodeId);
  return m ? { project: m[1]!, zone: m[2]!, name: m[3]! } : undefined;
}

export function metadataValue(instance: GcpInstance, key: string): string | undefined {
  return instance.metadata?.items?.find((i) => i.key === key)?.value ?? undefined;
}

function markOf(instance: GcpInstance): NodeMark | undefined {
  const markedAtMs = Number(instance.labels?.[GCP_KEYS.markedAt]);
  if (!Number.isFinite(markedAtMs) || markedAtMs <= 0) return undefined;
  return {
    markedAt: toRfc3339(markedAtMs),
    reason: metadataValue(instance, GCP_KEYS.markReason) || 'marked',
  };
}

export function markLabelValue(mark: NodeMark): string {
  return String(parseRfc3339(mark.markedAt));
}

export function instanceToNode(
  instance: GcpInstance,
  project: string,
  region: string,
  shape: GpuShape,
  seenAtMs: number,
): FleetNode {
  const labels = instance.labels ?? {};
  const zone = lastSegment(instance.zone);
  const team = labels[GCP_KEYS.team];
  const project_ = labels[GCP_KEYS.project];
  const mark = markOf(instance);
  return {
    nodeId: gcpNodeId(project, zone, instance.name ?? String(instance.id)),
    provider: 'gcp',
    poolId: poolId('gcp', region, zone, shape.instanceType),
    region,
    zone,
    instanceType: shape.instanceType,
    purchaseOption: purchaseOptionOf(instance),
    state: STATES[instance.status ?? ''] ?? 'pending',
    gpuModel: shape.gpuModel,
    gpuCount: shape.gpuCount,
    ...(instance.creationTimestamp ? { launchedAt: toRfc3339(Date.parse(instance.creationTimestamp)) } : {}),
    labels: { ...(team ? { team } : {}), ...(project_ ? { project: project_ } : {}) },
    managed: labels[GCP_KEYS.managed] === 'true',
    protected: labels[GCP_KEYS.protected] === 'true',
    lastSeenAt: toRfc3339(seenAtMs),
    runningJobs: [],
    ...(mark ? { mark } : {}),
  };
}
