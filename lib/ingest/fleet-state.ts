// How ingest messages change a node's fleet state: pure, order-independent, and unchanged by redelivery.
import type { FleetNode } from '../domain/fleet.ts';
import { parseRfc3339 } from '../domain/time.ts';
import { BUSY_UTILIZATION_PCT, type UtilizationBatch } from '../domain/usage.ts';
import type { IngestMessage } from './records.ts';

export type NodeFields = Partial<Omit<FleetNode, 'nodeId'>>;

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

/**
 * Folds messages into a node. Times only move forward (max), running jobs come from the newest batch, and
 * EC2 states apply in event-time order, so the same messages give the same node in any order, any number
 * of times.
 */
export function applyMessages(node: FleetNode, messages: readonly IngestMessage[]): NodeFields {
  const fields: NodeFields = {};
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
    } else if (m.kind === 'ec2-state') {
      fields.state = m.state;
    } else {
      noticeAt = later(noticeAt, m.time);
    }
  }
  const set = <K extends keyof NodeFields>(key: K, value: NodeFields[K]) => {
    if (value !== undefined && JSON.stringify(value) !== JSON.stringify(node[key])) fields[key] = value;
  };
  set('lastSeenAt', seenAt);
  set('lastBusyAt', busyAt);
  set('lastLoginAt', loginAt);
  set('runningJobs', runningJobs);
  set('interruptionNoticeAt', noticeAt);
  if (fields.state === node.state) delete fields.state;
  return fields;
}

/** The node a message is about. */
export function nodeIdOf(message: IngestMessage): string {
  return message.kind === 'utilization' ? message.batch.node.nodeId : message.instanceId;
}
