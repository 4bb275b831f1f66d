// Chaos driver: random ingest batches mixing valid records with malformed and poison ones; no valid record
// may be lost and every invalid one must be refused alone, with its reason.
import fc from 'fast-check';
import type { Store } from '../../lib/domain/ports.ts';
import { toRfc3339 } from '../../lib/domain/time.ts';
import { batchEventId, type UtilizationBatch } from '../../lib/domain/usage.ts';
import { memoryLogger } from '../../lib/ingest/logger.ts';
import { fixedClock } from '../../lib/memory/clock.ts';
import { createMemoryStore } from '../../lib/memory/store.ts';
import { ingest } from '../../lib/runs/ingest.ts';
import { agentBatch, batchEvent, snapshotEvent, stateChange } from '../ingest/fixtures.ts';
import { sampleNode } from '../support/store-samples.ts';

const W0 = Date.UTC(2026, 2, 2, 10);
/** The ingest clock: an hour after the first window, so every valid record is in its past. */
const CLOCK_MS = W0 + 3_600_000;
const NODE_IDS = ['i-0aaaaaaaaaaaaaaa1', 'i-0bbbbbbbbbbbbbbb2', 'gpu-node-07', 'slurm-a100-3'];

type Drawn = { kind: string; valid: boolean; body: string; batch?: UtilizationBatch; nodeIds?: string[] };

const validBatch = fc
  .record({
    nodeId: fc.constantFrom(...NODE_IDS),
    window: fc.integer({ min: 0, max: 11 }),
    bootId: fc.constantFrom('boot-a', 'boot-b', '5b1c0e3c-7d2a-4a8e-9f10-2c3d4e5f6a7b'),
    jobs: fc.constantFrom([], ['job-7'], ['job-7', 'job-8']),
    readings: fc.integer({ min: 0, max: 30 }),
    busy: fc.boolean(),
  })
  .map(({ nodeId, window, ...options }) => agentBatch(nodeId, toRfc3339(W0 + window * 300_000), options));

/** Ways a batch breaks that once took down its batch-mates or slipped through: each must fail alone. */
const POISONS: Record<string, (b: UtilizationBatch) => unknown> = {
  'window start 1969': (b) => ({ ...b, windowStart: '1969-12-31T23:55:00Z' }),
  'window start 2026-02-31': (b) => ({ ...b, windowStart: '2026-02-31T10:00:00Z' }),
  'window start 2099': (b) => ({ ...b, windowStart: '2099-01-01T00:00:00Z' }),
  'reading at 2099': (b) => ({
    ...b,
    gpus: b.gpus.map((g) => ({
      ...g,
      readings: [...g.readings, { ...g.readings[0], at: '2099-01-01T00:00:00Z' }],
    })),
  }),
  'boot id of 240 characters': (b) => ({ ...b, bootId: 'b'.repeat(240) }),
  'boot id with a space': (b) => ({ ...b, bootId: 'boot 1' }),
  'node id with non-ASCII': (b) => ({ ...b, node: { ...b.node, nodeId: 'nœud-1' } }),
  'memory 1e16 MiB': (b) => ({ ...b, gpus: b.gpus.map((g) => ({ ...g, memoryTotalMiB: 1e16 })) }),
  'pid 1e16': (b) => ({
    ...b,
    gpus: b.gpus.map((g) => ({ ...g, processes: [{ pid: 1e16, usedMemoryMiB: 1, jobId: 'job-1' }] })),
  }),
  'power 1e9 W': (b) => ({
    ...b,
    gpus: b.gpus.map((g) => ({ ...g, readings: [{ ...g.readings[0], at: b.windowStart, powerW: 1e9 }] })),
  }),
  'utilization 101 %': (b) => ({
    ...b,
    gpus: b.gpus.map((g) => ({
      ...g,
      readings: [{ ...g.readings[0], at: b.windowStart, utilizationPct: 101 }],
    })),
  }),
  '65 GPUs': (b) => ({ ...b, gpus: Array.from({ length: 65 }, (_, index) => ({ ...b.gpus[0], index })) }),
};

/** A node as the EC2 connector lists it; `gpuCount` may be set out of bounds to poison it. */
const snapshotNode = (nodeId: string, gpuCount: number) => ({
  ...sampleNode(nodeId),
  purchaseOption: 'spot',
  gpuCount,
  runningJobs: [],
});

const snapshotDetail = (takenAt: string, nodes: unknown[]) => ({
  schemaVersion: '1',
  connector: 'aws-ec2',
  takenAt,
  pools: [],
  nodes,
  demand: [],
});

const drawn: fc.Arbitrary<Drawn> = fc.oneof(
  {
    weight: 6,
    arbitrary: validBatch.map((batch) => ({
      kind: 'batch',
      valid: true,
      body: JSON.stringify(batchEvent(batch)),
      batch,
    })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({
        nodeId: fc.constantFrom(...NODE_IDS.slice(0, 2)),
        second: fc.integer({ min: 0, max: 3_599 }),
      })
      .map(({ nodeId, second }) => ({
        kind: 'ec2 state change',
        valid: true,
        body: JSON.stringify(stateChange(nodeId, 'stopped', toRfc3339(W0 + second * 1000))),
      })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ nodeIds: fc.uniqueArray(fc.constantFrom(...NODE_IDS), { minLength: 1 }), minute: fc.nat(59) })
      .map(({ nodeIds, minute }) => {
        const takenAt = toRfc3339(W0 + minute * 60_000);
        const nodes = nodeIds.map((id) => snapshotNode(id, 1));
        return {
          kind: 'snapshot',
          valid: true,
          body: JSON.stringify(
            snapshotEvent(snapshotDetail(takenAt, nodes), `snap-${minute}-${nodeIds.join('+')}`),
          ),
          nodeIds,
        };
      }),
  },
  {
    weight: 3,
    arbitrary: fc.tuple(validBatch, fc.constantFrom(...Object.keys(POISONS))).map(([batch, poison]) => ({
      kind: poison,
      valid: false,
      body: JSON.stringify(
        batchEvent(POISONS[poison]!(batch) as UtilizationBatch, `poison-${poison.length}`),
      ),
    })),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      {
        kind: 'snapshot taken in 2099',
        valid: false,
        body: JSON.stringify(
          snapshotEvent(snapshotDetail('2099-01-01T00:00:00Z', [snapshotNode(NODE_IDS[0]!, 1)]), 'snap-2099'),
        ),
      },
      {
        kind: 'snapshot node with 1e16 GPUs',
        valid: false,
        body: JSON.stringify(
          snapshotEvent(snapshotDetail(toRfc3339(W0), [snapshotNode(NODE_IDS[1]!, 1e16)]), 'snap-1e16'),
        ),
      },
      {
        kind: 'event id of 300 characters',
        valid: false,
        body: JSON.stringify({ ...stateChange(NODE_IDS[0]!, 'stopped', toRfc3339(W0)), id: 'e'.repeat(300) }),
      },
      {
        kind: 'EC2 event time 2099',
        valid: false,
        body: JSON.stringify(stateChange(NODE_IDS[0]!, 'stopped', '2099-01-01T00:00:00Z')),
      },
      { kind: 'not JSON', valid: false, body: '{"detail-type": "GPU Utilization Batch", ' },
    ),
  },
  {
    weight: 1,
    arbitrary: fc.jsonValue().map((v) => ({ kind: 'random JSON', valid: false, body: JSON.stringify(v) })),
  },
);

export interface IngestRecordsChaosCounts {
  cases: number;
  /** Cases with any record treated wrongly: a valid one failed or not stored, an invalid one stored. */
  failures: number;
  /** Valid records that were failed (to the DLQ) or whose facts are missing from the store. */
  lostValidRecords: number;
  /** The first few failures, to reproduce. */
  examples: string[];
}

/** Ingests `cases` random batches of 1–21 records, each on a fresh store, and checks every record. */
export async function runIngestRecordsChaos({
  cases,
  seed,
  makeStore = async () => createMemoryStore(),
}: {
  cases: number;
  seed: number;
  makeStore?: () => Promise<Store>;
}): Promise<IngestRecordsChaosCounts> {
  const batches = fc.sample(fc.array(drawn, { minLength: 1, maxLength: 21 }), { numRuns: cases, seed });
  let failures = 0;
  let lostValidRecords = 0;
  const examples: string[] = [];
  for (const items of batches) {
    const store = await makeStore();
    const records = items.map((item, i) => ({ messageId: `m${i}`, body: item.body }));
    const problems: string[] = [];
    try {
      const result = await ingest(records, { store, clock: fixedClock(CLOCK_MS), logger: memoryLogger() });
      const reasons = new Map(result.failures.map((f) => [f.messageId, f.reason]));
      const rollups = await store.rollups.between(W0 - 86_400_000, CLOCK_MS);
      const nodeIds = new Set((await store.nodes.list()).map((n) => n.nodeId));
      for (const [i, item] of items.entries()) {
        const reason = reasons.get(`m${i}`);
        if (!item.valid) {
          if (!reason) problems.push(`invalid record m${i} (${item.kind}) was accepted`);
          continue;
        }
        const { batch } = item;
        const lost =
          reason !== undefined ||
          (batch !== undefined &&
            (!nodeIds.has(batch.node.nodeId) ||
              !rollups.some(
                (r) => r.node.nodeId === batch.node.nodeId && r.eventId === batchEventId(batch),
              ))) ||
          (item.nodeIds ?? []).some((id) => !nodeIds.has(id));
        if (lost) {
          lostValidRecords++;
          problems.push(`valid record m${i} (${item.kind}) lost${reason ? `: ${reason}` : ''}`);
        }
      }
    } catch (error) {
      problems.push(`ingest threw: ${(error as Error).message}`);
    }
    if (problems.length > 0) {
      failures++;
      if (examples.length < 3) examples.push(problems.join('; '));
    }
  }
  return { cases: batches.length, failures, lostValidRecords, examples };
}
