// Nodes (instances) in the fleet, their state, marks and how they may be released.
import { z } from 'zod';
import { zId, zTimestamp } from './fields.ts';
import { zGpuPartition } from './gpu.ts';
import { zLabels } from './labels.ts';
import { zPurchaseOption, zProvider } from './pool.ts';

export const NODE_STATES = [
  'pending',
  'running',
  'stopping',
  'stopped',
  'terminated',
  'draining',
  'drained',
  'powered-down',
] as const;
export const zNodeState = z.enum(NODE_STATES);
export type NodeState = z.infer<typeof zNodeState>;

/** How a node gives its capacity back; which ones a provider offers is its own business. */
export const RELEASE_METHODS = ['stop', 'terminate', 'hibernate', 'drain', 'power-down'] as const;
export const zReleaseMethod = z.enum(RELEASE_METHODS);
export type ReleaseMethod = z.infer<typeof zReleaseMethod>;

export const zNodeMark = z.object({ markedAt: zTimestamp, reason: z.string().min(1).max(1024) });
export type NodeMark = z.infer<typeof zNodeMark>;

export const zFleetNode = z.object({
  nodeId: zId,
  provider: zProvider,
  poolId: zId,
  region: zId,
  zone: zId,
  instanceType: zId,
  purchaseOption: zPurchaseOption,
  state: zNodeState,
  /**
   * Time of the newest timestamped message that set `state` (EC2 state-change time, snapshot takenAt). An
   * older message is stale for the node and not applied, so a late delivery cannot roll its state back.
   */
  stateChangedAt: zTimestamp.optional(),
  gpuModel: zId,
  gpuCount: z.number().int().min(0),
  /** How the node's physical GPUs are shared (MIG, vGPU, time-slicing); attribution splits each GPU by it. */
  gpuPartition: zGpuPartition.optional(),
  launchedAt: zTimestamp.optional(),
  labels: zLabels.default({}),
  /** Only managed nodes may be changed by enforce mode. */
  managed: z.boolean().default(false),
  /** Protected nodes are never released, whatever the mode. */
  protected: z.boolean().default(false),
  lastSeenAt: zTimestamp.optional(),
  lastBusyAt: zTimestamp.optional(),
  lastLoginAt: zTimestamp.optional(),
  runningJobs: z.array(zId).default([]),
  mark: zNodeMark.optional(),
  /** Set when the provider warned of a spot interruption or rebalance. */
  interruptionNoticeAt: zTimestamp.optional(),
});
export type FleetNode = z.infer<typeof zFleetNode>;
export type FleetNodeInput = z.input<typeof zFleetNode>;

export function isLive(node: Pick<FleetNode, 'state'>): boolean {
  return node.state === 'pending' || node.state === 'running' || node.state === 'draining';
}
