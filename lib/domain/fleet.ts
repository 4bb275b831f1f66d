// Nodes (instances) in the fleet, their state, marks and how they may be released.
import { z } from 'zod';
import { zId, zTimestamp } from './fields.ts';
import { zGpuPartition } from './gpu.ts';
import { zLabels } from './labels.ts';
import { zPurchaseOption, zProvider } from './pool.ts';

/** GPUs in one node: a batch's `gpus`, a node's `gpuCount` (as many as a pool's instance holds). */
export const MAX_GPUS_PER_NODE = 64;

/**
 * An id that goes into a key (node id, boot id): printable ASCII without spaces, so that its byte length is
 * its length and a key stays under DynamoDB's 1 KB.
 */
export const zKeyId = zId.regex(
  /^[\x21-\x7e]+$/,
  'expected printable ASCII without spaces, like i-0abc12345def67890',
);

/** A node id: part of the keys of the node and of its rollups. */
export const zNodeId = zKeyId;

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
  nodeId: zNodeId,
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
  /**
   * takenAt of the Capacity Snapshot that set the provider's fields (how the node is bought, its pool, labels,
   * managed, protected); an older snapshot leaves them be. Unset while they are only guessed from a batch.
   */
  providerSeenAt: zTimestamp.optional(),
  gpuModel: zId,
  gpuCount: z.number().int().min(0).max(MAX_GPUS_PER_NODE),
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
  /** When `runningJobs` was observed (the batch's last reading, the snapshot's takenAt); unset: never observed. */
  runningJobsAt: zTimestamp.optional(),
  mark: zNodeMark.optional(),
  /** Set when the provider warned of a spot interruption or rebalance. */
  interruptionNoticeAt: zTimestamp.optional(),
});
export type FleetNode = z.infer<typeof zFleetNode>;
export type FleetNodeInput = z.input<typeof zFleetNode>;

export function isLive(node: Pick<FleetNode, 'state'>): boolean {
  return node.state === 'pending' || node.state === 'running' || node.state === 'draining';
}

/**
 * A provider's fact about a node the fleet does not know yet: an EC2 state change or notice that arrived before
 * the node's first batch or snapshot. It is kept, not dropped, and folded in when the node is created, so a
 * node terminated before its last batch arrived is not created running.
 */
export const zPendingNodeFact = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('state'), nodeId: zNodeId, eventId: zKeyId, at: zTimestamp, state: zNodeState }),
  z.object({
    kind: z.literal('notice'),
    nodeId: zNodeId,
    eventId: zKeyId,
    at: zTimestamp,
    notice: z.enum(['interruption', 'rebalance']),
  }),
]);
export type PendingNodeFact = z.infer<typeof zPendingNodeFact>;

/**
 * How long a pending fact is kept. EC2 tells of every instance in the account, most of which never report;
 * a node's first batch or snapshot comes within minutes of its state changes, a week covers an outage.
 */
export const PENDING_FACT_TTL_MS = 7 * 24 * 3_600_000;

/**
 * Node fields whose stored values a writer expects unchanged since it read them: the time (or value) of every
 * group of facts, so that two writers folding different facts into one node cannot overwrite each other.
 */
export const NODE_VERSION_FIELDS = [
  'state',
  'stateChangedAt',
  'providerSeenAt',
  'lastSeenAt',
  'lastBusyAt',
  'lastLoginAt',
  'runningJobsAt',
  'interruptionNoticeAt',
] as const satisfies readonly (keyof FleetNode)[];
export type NodeVersion = Partial<Record<(typeof NODE_VERSION_FIELDS)[number], string | undefined>>;

/** The version a write of `node` expects: the values of its NODE_VERSION_FIELDS as read. */
export function nodeVersion(node: FleetNode): NodeVersion {
  return Object.fromEntries(NODE_VERSION_FIELDS.map((f) => [f, node[f]]));
}
