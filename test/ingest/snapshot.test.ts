// Capacity Snapshots in ingest: how nodes are bought and who may change them, without losing what agents told.
import { describe, expect, it } from 'vitest';
import type { FleetNode } from '../../lib/domain/fleet.ts';
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
import { batchEvent, record, snapshotEvent, stateChange } from './fixtures.ts';

const clock = fixedClock(parseRfc3339('2026-01-05T11:00:00Z'));
const at = (hhmmss: string) => `2026-01-05T${hhmmss}Z`;

const A = 'i-0aaaaaaaaaaaaaaa1';
const B = 'i-0bbbbbbbbbbbbbbb2';
const C = 'i-0ccccccccccccccc3';

/** A node as a connector lists it: seen at the snapshot's time, no jobs known. */
function listed(nodeId: string, takenAt: string, overrides: Partial<FleetNode> = {}): FleetNode {
  return {
    ...sampleNode(nodeId),
    gpuModel: 'NVIDIA A100-SXM4-40GB',
    gpuCount: 1,
    labels: { team: 'llm' },
    launchedAt: at('08:00:00'),
    lastSeenAt: takenAt,
    runningJobs: [],
    ...overrides,
  };
}

function snapshot(takenAt: string, nodes: FleetNode[], id = `snap-${takenAt}-${nodes[0]?.nodeId}`) {
  return snapshotEvent(
    {
      schemaVersion: '1',
      connector: 'aws-test',
      takenAt,
      pools: [],
      nodes,
      demand: [{ team: 'llm', gpusRunning: 8, gpusPending: 2 }],
    },
    id,
  );
}

/** The agent's batch of the 10:00 window: seen 10:00:10, busy 10:00:00, job-7 on its GPU. */
function batchOf(nodeId: string): UtilizationBatch {
  const base = sampleBatch();
  return { ...base, node: { ...base.node, nodeId } };
}

type Backend = { name: string; make: () => Promise<{ store: Store; dump: () => Promise<unknown> }> };

const backends: Backend[] = [
  {
    name: 'memory',
    make: async () => {
      const store = createMemoryStore();
      return { store, dump: async () => store.nodes.list() };
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

async function run(store: Store, records: IngestRecord[]) {
  const logger = memoryLogger();
  const result = await ingest(records, { store, clock, logger });
  return { failed: result.batchItemFailures.map((f) => f.itemIdentifier), logger };
}

describe.each(backends)('Capacity Snapshot ingest on $name', ({ make }) => {
  it('creates the nodes it lists as the provider says they are bought and managed', async () => {
    const { store } = await make();
    const { failed } = await run(store, [
      record(
        snapshot(at('10:00:00'), [
          listed(A, at('10:00:00'), { purchaseOption: 'spot' }),
          listed(B, at('10:00:00'), { purchaseOption: 'reserved', protected: true }),
          listed(C, at('10:00:00'), { purchaseOption: 'on-demand', managed: false }),
        ]),
      ),
    ]);
    expect(failed).toEqual([]);
    const nodes = await store.nodes.list();
    expect(
      nodes.map((n) => [n.nodeId, n.purchaseOption, n.managed, n.protected, n.stateChangedAt]).sort(),
    ).toEqual([
      [A, 'spot', true, false, at('10:00:00')],
      [B, 'reserved', true, true, at('10:00:00')],
      [C, 'on-demand', false, false, at('10:00:00')],
    ]);
  });

  it("a batch and a snapshot, in either order or together, give the snapshot's purchase option and the batch's last seen", async () => {
    const snap = () =>
      record(snapshot(at('09:58:00'), [listed(A, at('09:58:00'), { purchaseOption: 'spot' })]));
    const batch = () => record(batchEvent(batchOf(A)));
    const results: FleetNode[] = [];
    for (const deliveries of [[[batch()], [snap()]], [[snap()], [batch()]], [[snap(), batch()]]]) {
      const { store } = await make();
      for (const records of deliveries) expect((await run(store, records)).failed).toEqual([]);
      results.push((await store.nodes.get(A))!);
    }
    expect(results[0]).toMatchObject({
      purchaseOption: 'spot',
      managed: true,
      lastSeenAt: at('10:00:10'),
      lastBusyAt: at('10:00:00'),
      runningJobs: ['job-7'],
      stateChangedAt: at('09:58:00'),
    });
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
  });

  it('keeps the mark and what is newer than the snapshot when a snapshot updates a known node', async () => {
    const { store } = await make();
    const mark = { markedAt: at('09:00:00'), reason: 'idle 2h' };
    await store.nodes.put({
      ...sampleNode(A),
      managed: false,
      lastSeenAt: at('10:04:50'),
      lastBusyAt: at('09:30:00'),
      runningJobs: ['job-1'],
      mark,
      interruptionNoticeAt: at('10:01:00'),
    });
    const snap = listed(A, at('10:05:00'), {
      purchaseOption: 'spot',
      state: 'draining',
      labels: { team: 'vision' },
      lastBusyAt: at('10:05:00'),
      runningJobs: ['job-from-connector'],
    });
    expect((await run(store, [record(snapshot(at('10:05:00'), [snap]))])).failed).toEqual([]);
    // The connector saw the node at 10:05, after the agent's last batch: its times and jobs are the newer facts.
    expect(await store.nodes.get(A)).toMatchObject({
      purchaseOption: 'spot',
      state: 'draining',
      labels: { team: 'vision' },
      managed: true,
      lastSeenAt: at('10:05:00'),
      lastBusyAt: at('10:05:00'),
      runningJobs: ['job-from-connector'],
      runningJobsAt: at('10:05:00'),
      mark,
      interruptionNoticeAt: at('10:01:00'),
    });
    // A connector that cannot see jobs lists none: that is no news of them, so the agent's stay.
    const blind = listed(A, at('10:10:00'), { purchaseOption: 'spot', runningJobs: [] });
    expect((await run(store, [record(snapshot(at('10:10:00'), [blind]))])).failed).toEqual([]);
    expect(await store.nodes.get(A)).toMatchObject({
      lastSeenAt: at('10:10:00'),
      runningJobs: ['job-from-connector'],
      mark,
    });
  });

  it('never lets an older snapshot roll back a newer EC2 state change or a newer snapshot', async () => {
    const { store } = await make();
    await run(store, [
      record(snapshot(at('10:00:00'), [listed(A, at('10:00:00'), { purchaseOption: 'spot' })])),
    ]);
    await run(store, [record(stateChange(A, 'stopped', at('10:09:00')))]);
    // A snapshot taken before the stop, delivered after it (a retry, another Lambda batch).
    await run(store, [
      record(
        snapshot(at('10:05:00'), [listed(A, at('10:05:00'), { state: 'running', labels: { team: 'old' } })]),
      ),
    ]);
    // The state is the EC2 event's (newer); the labels the late snapshot's (newer than the first snapshot).
    expect(await store.nodes.get(A)).toMatchObject({
      state: 'stopped',
      stateChangedAt: at('10:09:00'),
      purchaseOption: 'on-demand',
      providerSeenAt: at('10:05:00'),
      labels: { team: 'old' },
    });

    await run(store, [record(snapshot(at('10:20:00'), [listed(A, at('10:20:00'), { state: 'running' })]))]);
    await run(store, [record(snapshot(at('10:15:00'), [listed(A, at('10:15:00'), { state: 'stopped' })]))]);
    await run(store, [record(stateChange(A, 'stopping', at('10:19:59')))]);
    expect(await store.nodes.get(A)).toMatchObject({ state: 'running', stateChangedAt: at('10:20:00') });
  });

  it('applies EC2 state changes that arrive out of order across batches by their event time', async () => {
    const { store } = await make();
    await store.nodes.put(sampleNode(B));
    await run(store, [record(stateChange(B, 'stopped', at('10:09:00')))]);
    await run(store, [record(stateChange(B, 'stopping', at('10:08:00')))]);
    expect(await store.nodes.get(B)).toMatchObject({ state: 'stopped', stateChangedAt: at('10:09:00') });
    await run(store, [
      record(stateChange(B, 'running', at('10:20:00'))),
      record(stateChange(B, 'pending', at('10:19:00'))),
    ]);
    expect(await store.nodes.get(B)).toMatchObject({ state: 'running', stateChangedAt: at('10:20:00') });
  });

  it('fails only an invalid snapshot record, naming the field, and writes none of its nodes', async () => {
    const { store } = await make();
    const good = record(snapshot(at('10:00:00'), [listed(A, at('10:00:00'), { purchaseOption: 'spot' })]));
    const badOption = record(
      snapshot(at('10:00:00'), [
        listed(B, at('10:00:00')),
        { ...listed(C, at('10:00:00')), purchaseOption: 'cheap' as FleetNode['purchaseOption'] },
      ]),
    );
    const noTakenAt = snapshot(at('10:00:00'), [listed(B, at('10:00:00'))], 'snap-no-time');
    delete (noTakenAt.detail as Record<string, unknown>).takenAt;
    const badTime = record(noTakenAt);
    const wrongSource = record({
      ...snapshot(at('10:00:00'), [listed(B, at('10:00:00'))]),
      source: 'gpu-optimizer.agent',
    });
    const batch = record(batchEvent(batchOf('n-agent')));
    const { failed, logger } = await run(store, [badOption, good, badTime, batch, wrongSource]);
    expect(failed.sort()).toEqual([badOption, badTime, wrongSource].map((r) => r.messageId).sort());
    const errors = Object.fromEntries(
      logger.lines
        .filter((l) => l.message === 'invalid record')
        .map((l) => [l.fields.messageId, l.fields.error]),
    );
    expect(errors[badOption.messageId]).toMatch(/^detail\.nodes\[1\]\.purchaseOption: /);
    expect(errors[badTime.messageId]).toMatch(/^detail\.takenAt: /);
    expect(errors[wrongSource.messageId]).toMatch(/comes from gpu-optimizer\.connector/);
    expect((await store.nodes.list()).map((n) => n.nodeId).sort()).toEqual([A, 'n-agent']);
    expect((await store.nodes.get(A))?.purchaseOption).toBe('spot');
  });

  it('gives the same table whatever the order within a batch, and a redelivery changes nothing', async () => {
    const records = [
      record(
        snapshot(at('10:00:00'), [
          listed(A, at('10:00:00'), { purchaseOption: 'spot' }),
          listed(B, at('10:00:00')),
        ]),
      ),
      record(
        snapshot(at('10:00:00'), [listed(C, at('10:00:00'), { purchaseOption: 'reserved' })], 'snap-part-2'),
      ),
      record(
        snapshot(at('09:55:00'), [listed(B, at('09:55:00'), { state: 'pending', labels: { team: 'old' } })]),
      ),
      record(batchEvent(batchOf(A))),
      record(batchEvent(batchOf('n-agent'))),
      record(stateChange(C, 'stopping', at('10:03:00'))),
      record(stateChange(B, 'terminated', at('09:59:00'))),
    ];
    const orders = [records, [...records].reverse(), [3, 6, 0, 5, 2, 4, 1].map((i) => records[i]!)];
    const dumps: unknown[] = [];
    for (const order of orders) {
      const { store, dump } = await make();
      expect((await run(store, order)).failed).toEqual([]);
      const once = await dump();
      await run(store, order);
      await run(store, [...order, ...order]);
      expect(await dump()).toEqual(once);
      dumps.push(once);
    }
    expect(dumps[1]).toEqual(dumps[0]);
    expect(dumps[2]).toEqual(dumps[0]);
  });
});

// Reads and writes are counted at the repository: the same for every Store, so counted on the memory one.
describe('Capacity Snapshot ingest cost', () => {
  it('reads every node of a 300-node snapshot in one batched read, writes each once, and nothing on redelivery', async () => {
    const store = createMemoryStore();
    // nodesRead: nodes read one by one or in a batch; batchedReads: the batched calls.
    const calls = { nodesRead: 0, batchedReads: 0, create: 0, patch: 0, pendingFacts: 0 };
    const counted: Pick<Store, 'rollups' | 'nodes'> = {
      rollups: store.rollups,
      nodes: {
        ...store.nodes,
        get: (id) => (calls.nodesRead++, store.nodes.get(id)),
        getMany: (ids) => (calls.batchedReads++, (calls.nodesRead += ids.length), store.nodes.getMany(ids)),
        put: () => Promise.reject(new Error('ingest creates nodes only if absent')),
        create: (node) => (calls.create++, store.nodes.create(node)),
        patch: (id, fields, expected) => (calls.patch++, store.nodes.patch(id, fields, expected)),
        pendingFacts: (id) => (calls.pendingFacts++, store.nodes.pendingFacts(id)),
      },
    };
    const ids = Array.from({ length: 300 }, (_, k) => `i-${(0x10000000 + k).toString(16)}`);
    const snap = (takenAt: string) =>
      [ids.slice(0, 150), ids.slice(150)].map((part, k) =>
        record(
          snapshot(
            takenAt,
            part.map((id) => listed(id, takenAt, { purchaseOption: 'spot' })),
            `${takenAt}-${k}`,
          ),
        ),
      );
    // The agents of 40 of them report in the same batch, and EC2 tells of 20 state changes.
    const others = [
      ...ids.slice(0, 40).map((id) => record(batchEvent(batchOf(id)))),
      ...ids.slice(100, 120).map((id) => record(stateChange(id, 'stopping', at('10:06:00')))),
    ];
    const ingestCounted = async (records: IngestRecord[]) => {
      calls.nodesRead = calls.batchedReads = calls.create = calls.patch = calls.pendingFacts = 0;
      const result = await ingest(records, { store: counted, clock, logger: memoryLogger() });
      expect(result.batchItemFailures).toEqual([]);
      return { ...calls };
    };

    // A node is created once; its kept facts (EC2 events before it was known) are read before and after.
    expect(await ingestCounted([...snap(at('09:58:00')), ...others])).toEqual({
      nodesRead: 300,
      batchedReads: 1,
      create: 300,
      patch: 0,
      pendingFacts: 600,
    });
    expect(await ingestCounted([...snap(at('09:58:00')), ...others])).toEqual({
      nodesRead: 300,
      batchedReads: 1,
      create: 0,
      patch: 0,
      pendingFacts: 0,
    });
    expect((await store.nodes.list()).filter((n) => n.state === 'stopping')).toHaveLength(20);
    // The next poll: every node is patched once (its stateChangedAt moves on), the stopping ones running again.
    expect(await ingestCounted(snap(at('10:10:00')))).toEqual({
      nodesRead: 300,
      batchedReads: 1,
      create: 0,
      patch: 300,
      pendingFacts: 0,
    });
    const nodes = await store.nodes.list();
    expect(nodes).toHaveLength(300);
    expect(nodes.filter((n) => n.purchaseOption === 'spot' && n.state === 'running')).toHaveLength(300);
    expect(nodes.filter((n) => n.runningJobs.includes('job-7'))).toHaveLength(40);
  });
});
