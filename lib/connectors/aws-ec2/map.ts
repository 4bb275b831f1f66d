// EC2 instances as fleet nodes: state, purchase option, pool and the tags that carry managed, protected, mark and owner.
import type { Instance, Tag } from '@aws-sdk/client-ec2';
import type { FleetNode, NodeMark, NodeState } from '../../domain/fleet.ts';
import { poolId, type Pool, type PurchaseOption } from '../../domain/pool.ts';
import { toRfc3339 } from '../../domain/time.ts';

export interface Ec2TagKeys {
  /** "true" on instances the optimizer may change; DescribeInstances lists only these. */
  managed: string;
  /** "true" on instances that are never released. */
  protected: string;
  markedAt: string;
  markReason: string;
  team: string;
  project: string;
}

export const DEFAULT_EC2_TAG_KEYS: Ec2TagKeys = {
  managed: 'gpu-optimizer:managed',
  protected: 'gpu-optimizer:protected',
  markedAt: 'gpu-optimizer:marked-at',
  markReason: 'gpu-optimizer:mark-reason',
  team: 'team',
  project: 'project',
};

/** EC2 tag values hold at most 256 characters. */
export const MAX_TAG_VALUE = 256;

const STATES: Record<string, NodeState> = {
  pending: 'pending',
  running: 'running',
  stopping: 'stopping',
  stopped: 'stopped',
  'shutting-down': 'stopping',
  terminated: 'terminated',
};

export function tagMap(tags: readonly Tag[] | undefined): Map<string, string> {
  return new Map((tags ?? []).filter((t) => t.Key).map((t) => [t.Key!, t.Value ?? '']));
}

export function markTags(mark: NodeMark, keys: Ec2TagKeys): Tag[] {
  return [
    { Key: keys.markedAt, Value: mark.markedAt },
    { Key: keys.markReason, Value: mark.reason.slice(0, MAX_TAG_VALUE) },
  ];
}

export function purchaseOptionOf(instance: Instance): PurchaseOption {
  if (instance.InstanceLifecycle === 'spot') return 'spot';
  if (instance.CapacityReservationId) return 'reserved';
  return 'on-demand';
}

export interface GpuShape {
  gpuModel: string;
  gpuCount: number;
}

export function instanceToNode(
  instance: Instance,
  region: string,
  gpu: GpuShape,
  keys: Ec2TagKeys,
  seenAtMs: number,
): FleetNode {
  const tags = tagMap(instance.Tags);
  const zone = instance.Placement?.AvailabilityZone ?? region;
  const type = instance.InstanceType ?? 'unknown';
  const markedAt = tags.get(keys.markedAt);
  const team = tags.get(keys.team);
  const project = tags.get(keys.project);
  return {
    nodeId: instance.InstanceId!,
    provider: 'aws',
    poolId: poolId('aws', region, zone, type),
    region,
    zone,
    instanceType: type,
    purchaseOption: purchaseOptionOf(instance),
    state: STATES[instance.State?.Name ?? ''] ?? 'pending',
    gpuModel: gpu.gpuModel,
    gpuCount: gpu.gpuCount,
    ...(instance.LaunchTime ? { launchedAt: toRfc3339(instance.LaunchTime.getTime()) } : {}),
    labels: { ...(team ? { team } : {}), ...(project ? { project } : {}) },
    managed: tags.get(keys.managed) === 'true',
    protected: tags.get(keys.protected) === 'true',
    lastSeenAt: toRfc3339(seenAtMs),
    runningJobs: [],
    ...(markedAt ? { mark: { markedAt, reason: tags.get(keys.markReason) || 'marked' } } : {}),
  };
}

export function poolKey(pool: Pick<Pool, 'zone' | 'instanceType'>): string {
  return `${pool.zone}|${pool.instanceType}`;
}
