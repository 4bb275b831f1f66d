// How ingest messages change a node's fleet state: pure, the same in any order, unchanged by redelivery.
import type { FleetNode, NodeState, PendingNodeFact } from '../domain/fleet.ts';
import { parseRfc3339 } from '../domain/time.ts';
import { BUSY_UTILIZATION_PCT, type UtilizationBatch } from '../domain/usage.ts';
import type { IngestMessage } from './records.ts';

export type NodeFields = Partial<Omit<FleetNode, 'nodeId'>>;

/** What one message says of one node: a snapshot is read as one of these per node it lists. */
export type NodeMessage =
  | Exclude<IngestMessage, { kind: 'snapshot' }>
  | { kind: 'snapshot-node'; eventId: string; time: string; node: FleetNode };

/** The EC2 messages that may name a node the fleet does not know yet. */
export type ProviderNodeMessage = Extract<NodeMessage, { kind: 'ec2-state' | 'ec2-notice' }>;

/**
 * The fields the provider owns, set by Capacity Snapshots as of their takenAt (`providerSeenAt`). The node's
 * state is the provider's too but has its own time (`stateChangedAt`): EC2 state changes set it as well.
 */
export const PROVIDER_FIELDS = [
  'provider',
  'purchaseOption',
  'poolId',
  'region',
  'zone',
  'instanceType',
  'gpuModel',
  'gpuCount',
  'gpuPartition',
  'launchedAt',
  'labels',
  'managed',
  'protected',
] as const satisfies readonly (keyof FleetNode)[];

/**
 * At one instant, the state further along a node's life wins, so that a tie never depends on arrival order
 * (EC2 sends stopping and stopped a second apart and a snapshot may carry the same second).
 */
const STATE_RANK: Record<NodeState, number> = {
  pending: 0,
  running: 1,
  draining: 2,
  drained: 3,
  stopping: 4,
  stopped: 5,
  'powered-down': 6,
  terminated: 7,
};

const ms = parseRfc3339;

function later(a: string | undefined, b: string | null | undefined): string | undefined {
  if (!b) return a;
  if (!a) return b;
  return ms(b) > ms(a) ? b : a;
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

/**
 * A node first heard of through its agent. How it is bought and who may change it are guesses with no time
 * (`providerSeenAt`, `stateChangedAt` unset), so the connector's first snapshot or an EC2 event replaces them.
 */
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

/** The fact to keep of an EC2 message whose node is not in the fleet yet. */
export function pendingFactOf(m: ProviderNodeMessage): PendingNodeFact {
  return m.kind === 'ec2-state'
    ? { kind: 'state', nodeId: m.instanceId, eventId: m.eventId, at: m.time, state: m.state }
    : { kind: 'notice', nodeId: m.instanceId, eventId: m.eventId, at: m.time, notice: m.notice };
}

/** A kept fact as the message it came from. */
export function messageOfPendingFact(f: PendingNodeFact): ProviderNodeMessage {
  return f.kind === 'state'
    ? { kind: 'ec2-state', eventId: f.eventId, time: f.at, instanceId: f.nodeId, state: f.state }
    : { kind: 'ec2-notice', eventId: f.eventId, time: f.at, instanceId: f.nodeId, notice: f.notice };
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Time order; at one instant a fixed order of everything else, so that arrival order never decides. */
function canonicalOrder(a: NodeMessage, b: NodeMessage): number {
  const dt = ms(a.time) - ms(b.time);
  if (dt !== 0) return dt;
  const key = (m: NodeMessage) => `${m.kind}|${m.eventId}|${JSON.stringify(m)}`;
  return compareText(key(a), key(b));
}

/** The provider's newest view of the node, with what only the agent and the runs learn left out. */
function skeletonOfSnapshot(node: FleetNode): FleetNode {
  const {
    stateChangedAt: _state,
    providerSeenAt: _provider,
    lastSeenAt: _seen,
    lastBusyAt: _busy,
    lastLoginAt: _login,
    runningJobsAt: _jobsAt,
    mark: _mark,
    interruptionNoticeAt: _notice,
    ...rest
  } = node;
  return { ...rest, runningJobs: [] };
}

/**
 * The node to create for an id the store does not have, with every message (and every fact kept for it
 * before) folded in; none from EC2 messages alone, which tell of every instance in the account. Built from
 * the newest snapshot's node, else the newest batch, then folded like any update: the same node results
 * whichever message created it.
 */
export function newNode(messages: readonly NodeMessage[]): FleetNode | undefined {
  const ordered = [...messages].sort(canonicalOrder);
  const snapshot = ordered.filter((m) => m.kind === 'snapshot-node').at(-1);
  const batch = ordered.filter((m) => m.kind === 'utilization').at(-1);
  const skeleton =
    snapshot?.kind === 'snapshot-node'
      ? skeletonOfSnapshot(snapshot.node)
      : batch?.kind === 'utilization'
        ? nodeFromBatch(batch.batch)
        : undefined;
  return skeleton && { ...skeleton, ...applyMessages(skeleton, ordered) };
}

/** Equal as stored: labels written in another key order are the same labels. */
function same(a: unknown, b: unknown): boolean {
  const canonical = (v: unknown): string =>
    JSON.stringify(v, (_k, x: unknown) =>
      x && typeof x === 'object' && !Array.isArray(x)
        ? Object.fromEntries(Object.entries(x).sort(([p], [q]) => compareText(p, q)))
        : x,
    );
  return a === b || canonical(a) === canonical(b);
}

/**
 * Folds messages into a node; returns only the fields that change. Each group of fields has its owner and
 * the time it was true at, and an older fact never overwrites a newer one:
 * - the provider's fields (Capacity Snapshots) as of `providerSeenAt`;
 * - the state (EC2 state changes, snapshots) as of `stateChangedAt`, the later state winning a tie;
 * - what the agent saw: last seen, busy and login times only move forward, running jobs are those of the
 *   newest observation (`runningJobsAt`; a connector's empty list says "not known" and is no observation);
 * - an interruption notice only moves forward.
 * So the same messages give the same node in any order, any number of times, in one batch or several.
 */
export function applyMessages(node: FleetNode, messages: readonly NodeMessage[]): NodeFields {
  const agent = {
    seenAt: node.lastSeenAt,
    busyAt: node.lastBusyAt,
    loginAt: node.lastLoginAt,
    jobs: node.runningJobs,
    // Not lastSeenAt when unset: a snapshot moves that on without seeing any job.
    jobsAt: node.runningJobsAt,
  };
  let noticeAt = node.interruptionNoticeAt;
  let state = { state: node.state, at: node.stateChangedAt };
  const provider: Pick<FleetNode, (typeof PROVIDER_FIELDS)[number] | 'providerSeenAt'> = { ...node };

  const observeJobs = (at: string, jobIds: readonly string[]) => {
    const sorted = [...new Set(jobIds)].sort();
    if (!agent.jobsAt || ms(at) > ms(agent.jobsAt)) {
      agent.jobs = sorted;
      agent.jobsAt = at;
    } else if (ms(at) === ms(agent.jobsAt)) {
      // Two observations of one instant (an agent restart, a connector): both jobs run.
      agent.jobs = [...new Set([...agent.jobs, ...sorted])].sort();
    }
  };
  const observeState = (at: string, next: NodeState) => {
    const dt = state.at === undefined ? 1 : ms(at) - ms(state.at);
    if (dt > 0 || (dt === 0 && STATE_RANK[next] > STATE_RANK[state.state])) state = { state: next, at };
  };

  for (const m of [...messages].sort(canonicalOrder)) {
    switch (m.kind) {
      case 'utilization': {
        const facts = batchFacts(m.batch);
        agent.seenAt = later(agent.seenAt, facts.seenAt);
        agent.busyAt = later(agent.busyAt, facts.busyAt);
        agent.loginAt = later(agent.loginAt, m.batch.lastLoginAt);
        observeJobs(facts.seenAt, facts.jobIds);
        break;
      }
      case 'ec2-state':
        observeState(m.time, m.state);
        break;
      case 'ec2-notice':
        noticeAt = later(noticeAt, m.time);
        break;
      case 'snapshot-node': {
        const listed = m.node;
        observeState(m.time, listed.state);
        if (!provider.providerSeenAt || ms(m.time) > ms(provider.providerSeenAt)) {
          for (const key of PROVIDER_FIELDS) {
            // A connector that cannot tell the launch time leaves it out; that does not unlaunch the node.
            if (listed[key] !== undefined) (provider as Record<string, unknown>)[key] = listed[key];
          }
          provider.providerSeenAt = m.time;
        } else if (provider.launchedAt === undefined && listed.launchedAt !== undefined) {
          // The launch time is a fact no later snapshot contradicts by leaving it out.
          provider.launchedAt = listed.launchedAt;
        }
        agent.seenAt = later(agent.seenAt, listed.lastSeenAt);
        agent.busyAt = later(agent.busyAt, listed.lastBusyAt);
        agent.loginAt = later(agent.loginAt, listed.lastLoginAt);
        if (listed.runningJobs.length > 0) observeJobs(m.time, listed.runningJobs);
        noticeAt = later(noticeAt, listed.interruptionNoticeAt);
        break;
      }
    }
  }

  const fields: NodeFields = {};
  const set = <K extends keyof NodeFields>(key: K, value: NodeFields[K]) => {
    if (value !== undefined && !same(value, node[key])) fields[key] = value;
  };
  set('lastSeenAt', agent.seenAt);
  set('lastBusyAt', agent.busyAt);
  set('lastLoginAt', agent.loginAt);
  set('runningJobs', agent.jobs);
  set('runningJobsAt', agent.jobsAt);
  set('interruptionNoticeAt', noticeAt);
  for (const key of PROVIDER_FIELDS) set(key, provider[key]);
  set('providerSeenAt', provider.providerSeenAt);
  set('state', state.state);
  set('stateChangedAt', state.at);
  return fields;
}
