import { describe, expect, it } from 'vitest';
import type { Store } from '../../lib/domain/ports.ts';
import { parseRfc3339 } from '../../lib/domain/time.ts';
import type { UtilizationBatch } from '../../lib/domain/usage.ts';
import { memoryLogger } from '../../lib/ingest/logger.ts';
import { fixedClock } from '../../lib/memory/clock.ts';
import { createMemoryStore } from '../../lib/memory/store.ts';
import { ingest, type IngestRecord } from '../../lib/runs/ingest.ts';
import { freshDynamoStore, sortedTable } from '../support/dynamo.ts';
import { sampleBatch } from '../support/samples.ts';
import { sampleNode } from '../support/store-samples.ts';
import { batchEvent, ec2Fixture, record, stateChange } from './fixtures.ts';

const clock = fixedClock(parseRfc3339('2026-03-02T10:06:00Z'));
const FROM = parseRfc3339('2026-01-01T00:00:00Z');
const TO = parseRfc3339('2027-01-01T00:00:00Z');

function batchFor(nodeId: string, windowStart: string, bootId = 'boot-1', busy = true): UtilizationBatch {
  const base = sampleBatch();
  return {
    ...base,
    node: { ...base.node, nodeId },
    bootId,
    windowStart,
    lastLoginAt: '2026-01-05T09:00:00Z',
    gpus: base.gpus.map((g) => ({
      ...g,
      readings: g.readings.map((r, i) => ({
        ...r,
        at: new Date(parseRfc3339(windowStart) + i * 10_000).toISOString().replace('.000Z', 'Z'),
        utilizationPct: busy ? r.utilizationPct : 0,
      })),
    })),
  };
}

const malformed = (): IngestRecord[] => [
  record('{"not json'),
  record({ ...batchEvent(batchFor('n-bad', '2026-01-05T10:00:00Z')), detail: { schemaVersion: '2' } }),
  record({ ...batchEvent(batchFor('n-bad', '2026-01-05T10:00:00Z')), time: 'yesterday' }),
  record(ec2Fixture('powertools_state-change-terminated.json')),
];

type Backend = { name: string; make: () => Promise<{ store: Store; dump: () => Promise<unknown> }> };

const backends: Backend[] = [
  {
    name: 'memory',
    make: async () => {
      const store = createMemoryStore();
      return {
        store,
        dump: async () => ({
          rollups: await store.rollups.between(FROM, TO),
          nodes: await store.nodes.list(),
        }),
      };
    },
  },
  {
    name: 'dynalite',
    make: async () => {
      const { store, client, tableName } = await freshDynamoStore();
      return {
        store,
        dump: () => sortedTable(client, tableName),
      };
    },
  },
];

describe.each(backends)('ingest on $name', ({ make }) => {
  it('writes every good record and reports exactly the bad ones, each logged with its error', async () => {
    const { store } = await make();
    const logger = memoryLogger();
    const good = [
      record(batchEvent(batchFor('n-1', '2026-01-05T10:00:00Z'))),
      record(batchEvent(batchFor('n-1', '2026-01-05T10:05:00Z'))),
      record(batchEvent(batchFor('n-2', '2026-01-05T10:00:00Z'))),
    ];
    const bad = malformed();
    const result = await ingest([good[0]!, bad[0]!, good[1]!, bad[1]!, bad[2]!, good[2]!, bad[3]!], {
      store,
      clock,
      logger,
    });
    expect(result.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(
      bad.map((r) => r.messageId).sort(),
    );

    const rollups = await store.rollups.between(FROM, TO);
    expect(rollups.map((r) => `${r.node.nodeId} ${r.windowStart}`).sort()).toEqual([
      'n-1 2026-01-05T10:00:00Z',
      'n-1 2026-01-05T10:05:00Z',
      'n-2 2026-01-05T10:00:00Z',
    ]);
    const n1 = await store.nodes.get('n-1');
    expect(n1).toMatchObject({
      provider: 'aws',
      poolId: 'aws:us-east-1:us-east-1a:p4d.24xlarge',
      state: 'running',
      gpuCount: 1,
      gpuModel: 'NVIDIA A100-SXM4-40GB',
      lastSeenAt: '2026-01-05T10:05:10Z',
      lastBusyAt: '2026-01-05T10:05:00Z',
      lastLoginAt: '2026-01-05T09:00:00Z',
      runningJobs: ['job-7'],
    });

    const invalid = logger.lines.filter((l) => l.message === 'invalid record');
    expect(invalid.map((l) => l.fields.messageId).sort()).toEqual(bad.map((r) => r.messageId).sort());
    const errors = Object.fromEntries(invalid.map((l) => [l.fields.messageId, l.fields.error]));
    expect(errors[bad[0]!.messageId]).toMatch(/^body is not JSON/);
    expect(errors[bad[1]!.messageId]).toMatch(/^detail\.schemaVersion: /);
    expect(errors[bad[2]!.messageId]).toMatch(/^time: /);
    expect(errors[bad[3]!.messageId]).toMatch(/^detail\.instance-id: /);
    for (const l of invalid) expect(() => JSON.stringify(l.fields)).not.toThrow();
  });

  it('leaves the table unchanged when a whole batch is delivered again', async () => {
    const { store, dump } = await make();
    const logger = memoryLogger();
    await store.nodes.put({ ...sampleNode('i-0abc12345def67890'), runningJobs: [] });
    const records = [
      record(batchEvent(batchFor('n-1', '2026-01-05T10:00:00Z'))),
      record(batchEvent(batchFor('n-1', '2026-01-05T10:00:00Z', 'boot-2'))),
      record(batchEvent(batchFor('i-0abc12345def67890', '2026-01-05T10:00:00Z'))),
      record(stateChange('i-0abc12345def67890', 'stopping', '2026-01-05T10:07:00Z')),
      ...malformed(),
    ];
    const first = await ingest(records, { store, clock, logger });
    const before = await dump();
    // SQS delivers the whole batch again, and once more with each event twice in one batch.
    const again = await ingest(records, { store, clock, logger });
    expect(again.batchItemFailures).toEqual(first.batchItemFailures);
    expect(await dump()).toEqual(before);
    await ingest([...records, ...records], { store, clock, logger });
    expect(await dump()).toEqual(before);
    // The restarted agent's second partial batch is its own item; the redelivery is not.
    expect(await store.rollups.forNode('n-1', FROM, TO)).toHaveLength(2);
  });

  it('keeps the newest facts whatever order batches arrive in', async () => {
    const { store } = await make();
    const logger = memoryLogger();
    const newer = { ...batchFor('n-3', '2026-01-05T10:05:00Z', 'boot-1', false) };
    newer.gpus[0]!.processes = [];
    await ingest([record(batchEvent(newer))], { store, clock, logger });
    await ingest([record(batchEvent(batchFor('n-3', '2026-01-05T10:00:00Z')))], { store, clock, logger });
    expect(await store.nodes.get('n-3')).toMatchObject({
      lastSeenAt: '2026-01-05T10:05:10Z',
      lastBusyAt: '2026-01-05T10:00:00Z',
      runningJobs: [],
    });
  });

  it('updates fleet state from EC2 state changes and notices, and skips instances it does not know', async () => {
    const { store } = await make();
    const logger = memoryLogger();
    await store.nodes.put(sampleNode('i-abcd1111'));
    await store.nodes.put(sampleNode('i-0b662ef9931388ba0'));
    const result = await ingest(
      [
        record(stateChange('i-abcd1111', 'stopped', '2026-01-05T10:09:00Z')),
        record(stateChange('i-abcd1111', 'stopping', '2026-01-05T10:08:00Z')),
        record(ec2Fixture('nth_rebalance-recommendation-example.json')),
        record(ec2Fixture('awsdocs_state-change-pending.json')),
        record(stateChange('i-0fffffffffffffff0', 'running', '2026-01-05T10:08:00Z')),
      ],
      { store, clock, logger },
    );
    expect(result.batchItemFailures).toEqual([]);
    expect((await store.nodes.get('i-abcd1111'))?.state).toBe('stopped');
    expect((await store.nodes.get('i-0b662ef9931388ba0'))?.interruptionNoticeAt).toBe('2020-10-26T14:14:14Z');
    expect(await store.nodes.get('i-0fffffffffffffff0')).toBeUndefined();
  });
});

describe('ingest when the store fails', () => {
  it('reports the records whose writes failed, so SQS delivers them again', async () => {
    const store = createMemoryStore();
    const failing: Store = {
      ...store,
      rollups: {
        ...store.rollups,
        put: async () => Promise.reject(new Error('ProvisionedThroughputExceededException')),
      },
    };
    const logger = memoryLogger();
    const usage = record(batchEvent(batchFor('n-1', '2026-01-05T10:00:00Z')));
    await store.nodes.put(sampleNode('i-abcd1111'));
    const ec2 = record(stateChange('i-abcd1111', 'stopped', '2026-01-05T10:09:00Z'));
    const result = await ingest([usage, ec2], { store: failing, clock, logger });
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: usage.messageId }]);
    expect(await store.nodes.get('n-1')).toBeUndefined();
    expect((await store.nodes.get('i-abcd1111'))?.state).toBe('stopped');
  });

  it('reads each node alone when the batched read of the nodes fails, and loses no update', async () => {
    const store = createMemoryStore();
    let batchedReads = 0;
    const failing: Store = {
      ...store,
      nodes: {
        ...store.nodes,
        getMany: async () => {
          batchedReads++;
          return Promise.reject(new Error('ProvisionedThroughputExceededException'));
        },
      },
    };
    const logger = memoryLogger();
    await store.nodes.put(sampleNode('i-abcd1111'));
    const records = [
      record(batchEvent(batchFor('n-1', '2026-01-05T10:00:00Z'))),
      record(stateChange('i-abcd1111', 'stopped', '2026-01-05T10:09:00Z')),
    ];
    const result = await ingest(records, { store: failing, clock, logger });
    expect(batchedReads).toBe(1);
    expect(result.batchItemFailures).toEqual([]);
    expect((await store.nodes.get('i-abcd1111'))?.state).toBe('stopped');
    expect(await store.nodes.get('n-1')).toMatchObject({ lastSeenAt: '2026-01-05T10:00:10Z' });
    const warned = logger.lines.filter((l) => l.level === 'warn');
    expect(warned.map((l) => l.message)).toEqual([
      "reading the batch's nodes at once failed; each is read alone",
    ]);
  });
});
