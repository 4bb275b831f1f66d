// Queue records for ingest tests: EventBridge events as the SQS target delivers them.
import { readdirSync, readFileSync } from 'node:fs';
import type { UtilizationBatch } from '../../lib/domain/usage.ts';
import { batchEventId } from '../../lib/domain/usage.ts';
import type { IngestRecord } from '../../lib/runs/ingest.ts';

const EC2_DIR = new URL('../fixtures/ec2-events/', import.meta.url);

export const ec2FixtureNames = () => readdirSync(EC2_DIR).filter((f) => f !== 'SOURCES.md');
export const ec2Fixture = (name: string) => readFileSync(new URL(name, EC2_DIR), 'utf8');

/** The EventBridge envelope around a batch, as the rule hands it to SQS. */
export function batchEvent(batch: UtilizationBatch, id = batchEventId(batch)): Record<string, unknown> {
  return {
    version: '0',
    id: `evt-${id}`,
    'detail-type': 'GPU Utilization Batch',
    source: 'gpu-optimizer.agent',
    account: '123456789012',
    time: '2026-03-02T10:05:03Z',
    region: 'us-east-1',
    resources: [],
    detail: batch,
  };
}

let counter = 0;
export function record(body: unknown): IngestRecord {
  counter++;
  return { messageId: `msg-${counter}`, body: typeof body === 'string' ? body : JSON.stringify(body) };
}

/** An EC2 state-change event for an instance, at a time. */
export function stateChange(instanceId: string, state: string, time: string): Record<string, unknown> {
  const event = JSON.parse(ec2Fixture('nth_state-change-pending-example.json')) as Record<string, unknown>;
  return {
    ...event,
    id: `sc-${instanceId}-${state}-${time}`,
    time,
    detail: { 'instance-id': instanceId, state },
  };
}

/** The EventBridge envelope around a Capacity Snapshot detail (wire form), as the rule hands it to SQS. */
export function snapshotEvent(detail: unknown, id: string): Record<string, unknown> {
  return {
    version: '0',
    id,
    'detail-type': 'Capacity Snapshot',
    source: 'gpu-optimizer.connector',
    account: '123456789012',
    time: (detail as { takenAt?: string }).takenAt ?? '2026-01-05T10:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail,
  };
}

/** An agent's batch of one window: one GPU read every 10 s, busy or idle, with the jobs on it. */
export function agentBatch(
  nodeId: string,
  windowStart: string,
  options: {
    bootId?: string;
    jobs?: readonly string[];
    busy?: boolean;
    readings?: number;
    gpuModel?: string;
  } = {},
): UtilizationBatch {
  const startMs = Date.parse(windowStart);
  const { jobs = [], busy = jobs.length > 0, readings = 30 } = options;
  return {
    schemaVersion: '1',
    node: {
      nodeId,
      provider: 'aws',
      region: 'us-east-1',
      zone: 'us-east-1a',
      instanceType: 'p4d.24xlarge',
      poolId: 'aws:us-east-1:us-east-1a:p4d.24xlarge',
      labels: {},
    },
    bootId: options.bootId ?? 'boot-1',
    windowStart,
    sampleIntervalSeconds: 10,
    gpus: [
      {
        index: 0,
        uuid: `GPU-${nodeId}`,
        model: options.gpuModel ?? 'NVIDIA A100-SXM4-40GB',
        memoryTotalMiB: 40_960,
        readings: Array.from({ length: readings }, (_, i) => ({
          at: new Date(startMs + i * 10_000).toISOString().replace('.000Z', 'Z'),
          utilizationPct: busy ? 90 : 0,
          memoryUsedMiB: busy ? 30_000 : 0,
          powerW: busy ? 350 : 60,
          temperatureC: 50,
        })),
        processes: jobs.map((jobId, i) => ({ pid: 100 + i, usedMemoryMiB: 1000, jobId, team: 'llm' })),
      },
    ],
    lastLoginAt: null,
  };
}
