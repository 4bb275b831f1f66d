// How ingest messages change a node's fleet state: pure, order-independent, and unchanged by redelivery.
import type { FleetNode } from '../domain/fleet.ts';
import { parseRfc3339 } from '../domain/time.ts';
import { BUSY_UTILIZATION_PCT, type UtilizationBatch } from '../domain/usage.ts';
import type { IngestMessage } from './records.ts';

export type NodeFields = Partial<Omit<FleetNode, 'nodeId'>>;

/** What one message says of one node: a snapshot is read as one of these per node it lists. */
export type NodeMessage =
  | Exclude<IngestMessage, { kind: 'snapshot' }>
  | { kind: 'snapshot-node'; eventId: string; time: string; node: FleetNode };

/**
 * The fields the provider knows and a snapshot sets. Everything else (last seen, busy and login times,
 * running jobs, mark, interruption notice) is learned by ingest and the runs, and a snapshot leaves it be.
 */
export const PROVIDER_FIELDS = [
  'purchaseOption',
  'state',
  'poolId',
  'region',
  'zone',
  'instanceType',
  'gpuModel',
  'gpuCount',
  'launchedAt',
  'labels',
  'managed',
  'protected',
] as const satisfies readonly (keyof FleetNode)[];

function later(a: string | undefined, b: string | null | undefined): string | undefined {
  if (!b) return a;
  if (!a) return b;
  return parseRfc3339(b) > parseRfc3339(a) ? b : a;
}

/** The instants a batch tells of: its latest reading, latest busy reading, jobs on its GPUs. */
export function batchFacts(batch: UtilizationBatch): {
  seenAt: string;
  busyAt: string | undefined;
  jobIds: string[];
} {
  let seenAt = batch.windowStart;
  let busyAt: string | undefined;
  for (const gpu of batch.gpus) {
    for (const r of gpu.readings) {
      seenAt = later(seenAt, r.at)!;
      if ((r.utilizationPct ?? 0) >= BUSY_UTILIZATION_PCT || (r.smActivityPct ?? 0) >= BUSY_UTILIZATION_PCT) {
        busyAt = later(busyAt, r.at);
      }
    }
  }
  const jobIds = [
    ...new Set(batch.gpus.flatMap((g) => g.processes.flatMap((p) => (p.jobId ? [p.jobId] : [])))),
  ].sort();
  return { seenAt, busyAt, jobIds };
}

/** A node first heard of through its agent; the connector's next snapshot fills in how it is bought. */
export function nodeFromBatch(batch: UtilizationBatch): FleetNode {
  const { node } = batch;
  return {
    nodeId: node.nodeId,
    provider: node.provider,
    poolId: node.poolId,
    region: node.region,
    zone: node.zone,
    instanceType: node.instanceType,
    // The batch does not say how the node is bought; on-prem nodes can only be on-prem.
    purchaseOption: node.provider === 'onprem' || node.provider === 'slurm' ? 'on-prem' : 'on-demand',
    state: 'running',
    gpuModel: batch.gpus[0]?.model ?? 'unknown',
    gpuCount: batch.gpus.length,
    labels: node.labels,
    managed: false,
    protected: false,
    runningJobs: [],
  };
}

/** The nodes a message is about, each with what the message says of it. */
export function nodeMessagesOf(message: IngestMessage): [nodeId: string, message: NodeMessage][] {
  switch (message.kind) {
    case 'utilization':
      return [[message.batch.node.nodeId, message]];
    case 'snapshot': {
      const { eventId, snapshot } = message;
      // takenAt, not the envelope's time: it is when the snapshot was true.
      return snapshot.nodes.map((node) => [
        node.nodeId,
        { kind: 'snapshot-node', eventId, time: snapshot.takenAt, node },
      ]);
    }
    default:
      return [[message.instanceId, message]];
  }
}

type Timed = Extract<NodeMessage, { kind: 'ec2-state' | 'snapshot-node' }>;

const isTimed = (m: NodeMessage): m is Timed => m.kind === 'ec2-state' || m.kind === 'snapshot-node';

/** Time order; at one instant a fixed order of everything else, so that arrival order never decides. */
function byTimeThenContent(a: Timed, b: Timed): number {
  const dt = parseRfc3339(a.time) - parseRfc3339(b.time);
  if (dt !== 0) return dt;
  const key = (m: Timed) =>
    `${m.kind === 'snapshot-node' ? 0 : 1}|${m.eventId}|${JSON.stringify(m.kind === 'ec2-state' ? m.state : m.node)}`;
  const [ka, kb] = [key(a), key(b)];
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/**
 * The node to create for an id the store does not have: the newest snapshot's node as given, else one made
 * from the agent's batch; none from EC2 events alone, which tell of every instance in the account.
 */
export function newNode(messages: readonly NodeMessage[]): FleetNode | undefined {
  const newest = messages
    .filter((m): m is Extract<NodeMessage, { kind: 'snapshot-node' }> => m.kind === 'snapshot-node')
    .sort(byTimeThenContent)
    .at(-1);
  if (newest) return { ...newest.node, stateChangedAt: newest.time };
  const batch = messages.find((m) => m.kind === 'utilization');
  return batch?.kind === 'utilization' ? nodeFromBatch(batch.batch) : undefined;
}

/** Equal as stored: labels written in another key order are the same labels. */
function same(a: unknown, b: unknown): boolean {
  const canonical = (v: unknown): string =>
    JSON.stringify(v, (_k, x: unknown) =>
      x && typeof x === 'object' && !Array.isArray(x)
        ? Object.fromEntries(Object.entries(x).sort(([p], [q]) => (p < q ? -1 : p > q ? 1 : 0)))
        : x,
    );
  return a === b || canonical(a) === canonical(b);
}

/**
 * Folds messages into a node; returns only the fields that change. Times only move forward (max), running
 * jobs come from the newest batch, and what the provider says (EC2 state changes, snapshots) applies in
 * time order, each only if it is not older than the node's `stateChangedAt`: the same messages give the
 * same node in any order, any number of times, in one batch or across several.
 */
export function applyMessages(node: FleetNode, messages: readonly NodeMessage[]): NodeFields {
  let seenAt = node.lastSeenAt;
  let jobsSeenAt = node.lastSeenAt;
  let runningJobs = node.runningJobs;
  let busyAt = node.lastBusyAt;
  let loginAt = node.lastLoginAt;
  let noticeAt = node.interruptionNoticeAt;
  const byTime = [...messages].sort((a, b) => parseRfc3339(a.time) - parseRfc3339(b.time));
  for (const m of byTime) {
    if (m.kind === 'utilization') {
      const facts = batchFacts(m.batch);
      if (!jobsSeenAt || parseRfc3339(facts.seenAt) >= parseRfc3339(jobsSeenAt)) {
        runningJobs = facts.jobIds;
        jobsSeenAt = facts.seenAt;
      }
      seenAt = later(seenAt, facts.seenAt);
      busyAt = later(busyAt, facts.busyAt);
      loginAt = later(loginAt, m.batch.lastLoginAt);
    } else if (m.kind === 'ec2-notice') {
      noticeAt = later(noticeAt, m.time);
    }
  }

  // A snapshot older than the node's last state is stale as a whole, not only for the state: its labels or
  // managed flag may be older than what a newer snapshot already wrote. The next snapshot brings them.
  const provider: Pick<FleetNode, (typeof PROVIDER_FIELDS)[number] | 'stateChangedAt'> = { ...node };
  for (const m of messages.filter(isTimed).sort(byTimeThenContent)) {
    if (provider.stateChangedAt && parseRfc3339(m.time) < parseRfc3339(provider.stateChangedAt)) continue;
    if (m.kind === 'ec2-state') provider.state = m.state;
    else {
      for (const key of PROVIDER_FIELDS) {
        // A connector that cannot tell the launch time leaves it out; that does not unlaunch the node.
        if (m.node[key] !== undefined) (provider as Record<string, unknown>)[key] = m.node[key];
      }
    }
    provider.stateChangedAt = m.time;
  }

  const fields: NodeFields = {};
  const set = <K extends keyof NodeFields>(key: K, value: NodeFields[K]) => {
    if (value !== undefined && !same(value, node[key])) fields[key] = value;
  };
  set('lastSeenAt', seenAt);
  set('lastBusyAt', busyAt);
  set('lastLoginAt', loginAt);
  set('runningJobs', runningJobs);
  set('interruptionNoticeAt', noticeAt);
  for (const key of PROVIDER_FIELDS) set(key, provider[key]);
  set('stateChangedAt', provider.stateChangedAt);
  return fields;
}
