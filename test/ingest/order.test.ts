// Facts are kept by the time they are true at: no delivery order, future stamp or poison record changes that.
import { describe, expect, it } from 'vitest';
import { attributionCsv } from '../../lib/attribution/export.ts';
import type { FleetNode } from '../../lib/domain/fleet.ts';
import type { Store } from '../../lib/domain/ports.ts';
import { HOUR_MS, parseRfc3339, toRfc3339 } from '../../lib/domain/time.ts';
import { memoryLogger } from '../../lib/ingest/logger.ts';
import { fixedClock } from '../../lib/memory/clock.ts';
import { createMemoryStore } from '../../lib/memory/store.ts';
import { runAttribute } from '../../lib/runs/attribute.ts';
import { ingest, type IngestRecord } from '../../lib/runs/ingest.ts';
import { PRICES } from '../chaos/event-order.ts';
import { freshDynamoStore } from '../support/dynamo.ts';
import { agentBatch, batchEvent, record, snapshotEvent, stateChange } from './fixtures.ts';

const HOUR = parseRfc3339('2026-03-02T10:00:00Z');
const at = (hhmmss: string) => `2026-03-02T${hhmmss}Z`;
const clock = fixedClock(parseRfc3339(at('11:10:00')));
const NODE = 'i-0aaaaaaaaaaaaaaa1';
const POOL = 'aws:us-east-1:us-east-1a:p4d.24xlarge';

const backends: { name: string; make: () => Promise<Store> }[] = [
  { name: 'memory', make: async () => createMemoryStore() },
  { name: 'dynalite', make: async () => (await freshDynamoStore()).store },
];

async function run(store: Store, records: IngestRecord[]) {
  const logger = memoryLogger();
  const result = await ingest(records, { store, clock, logger });
  return { ...result, failed: result.batchItemFailures.map((f) => f.itemIdentifier), logger };
}

/** The EC2 connector's view of the node: a managed spot instance. */
function spotSnapshot(takenAt: string, state: FleetNode['state'] = 'running') {
  const node: FleetNode = {
    nodeId: NODE,
    provider: 'aws',
    poolId: POOL,
    region: 'us-east-1',
    zone: 'us-east-1a',
    instanceType: 'p4d.24xlarge',
    purchaseOption: 'spot',
    state,
    gpuModel: 'NVIDIA A100-SXM4-40GB',
    gpuCount: 1,
    launchedAt: at('09:00:00'),
    labels: { team: 'llm' },
    managed: true,
    protected: false,
    lastSeenAt: takenAt,
    runningJobs: [],
  };
  const detail = { schemaVersion: '1', connector: 'aws-ec2', takenAt, pools: [], nodes: [node], demand: [] };
  return snapshotEvent(detail, `snap-${takenAt}`);
}

const window = (minute: number) => toRfc3339(HOUR + minute * 60_000);

describe.each(backends)('time and order on $name', ({ make }) => {
  it('refuses a batch stamped 2099 with its reason, so honest batches still tell the running job', async () => {
    const store = await make();
    const future = record(batchEvent(agentBatch(NODE, '2099-01-01T00:00:00Z', { busy: false })));
    const first = await run(store, [future]);
    expect(first.failed).toEqual([future.messageId]);
    expect(first.failures[0]!.reason).toMatch(
      /^detail\.windowStart: 2099-01-01T00:00:00Z is \d+ days ahead of the ingest clock .*clock skew/,
    );
    for (let k = 0; k < 10; k++) {
      const honest = record(batchEvent(agentBatch(NODE, window(5 * k), { jobs: ['job-7'] })));
      expect((await run(store, [honest])).failed).toEqual([]);
    }
    expect(await store.nodes.get(NODE)).toMatchObject({
      runningJobs: ['job-7'],
      lastSeenAt: at('10:49:50'),
      runningJobsAt: at('10:49:50'),
    });
  });

  it('keeps a terminated event that came before the node was known, so its last batch cannot bring it back', async () => {
    const store = await make();
    expect((await run(store, [record(stateChange(NODE, 'terminated', at('10:42:00')))])).failed).toEqual([]);
    expect(await store.nodes.get(NODE)).toBeUndefined();
    // The agent's last batch, from before the termination, arrives after it.
    expect(
      (await run(store, [record(batchEvent(agentBatch(NODE, window(35), { jobs: ['job-7'] })))])).failed,
    ).toEqual([]);
    expect(await store.nodes.get(NODE)).toMatchObject({
      state: 'terminated',
      stateChangedAt: at('10:42:00'),
      lastSeenAt: at('10:39:50'),
    });
    // Still terminated, and billed only for the windows it reported, whatever comes later.
    await run(store, [record(batchEvent(agentBatch(NODE, window(40), { jobs: ['job-7'] })))]);
    expect((await store.nodes.get(NODE))?.state).toBe('terminated');
    await store.prices.put(PRICES);
    const hour = await runAttribute({ store, clock, log: () => {} }, { hourStartMs: HOUR });
    // Two 5-minute windows of an on-demand p4d (the batch cannot tell how it is bought): 2 × 32.7726 / 12.
    expect(hour.fleetCostUsd).toBe(5_462_100n);
  });

  it('batch, terminated at 10:42, then the 10:30 snapshot: a managed spot node, terminated, priced as spot', async () => {
    const outcomes: { node: FleetNode | undefined; csv: string }[] = [];
    const orders = [
      [
        batchEvent(agentBatch(NODE, window(20), { jobs: ['job-7'] })),
        stateChange(NODE, 'terminated', at('10:42:00')),
        spotSnapshot(at('10:30:00')),
      ],
      [
        spotSnapshot(at('10:30:00')),
        batchEvent(agentBatch(NODE, window(20), { jobs: ['job-7'] })),
        stateChange(NODE, 'terminated', at('10:42:00')),
      ],
    ];
    for (const order of orders) {
      const store = await make();
      await store.prices.put(PRICES);
      for (const event of order) expect((await run(store, [record(event)])).failed).toEqual([]);
      const hour = await runAttribute({ store, clock, log: () => {} }, { hourStartMs: HOUR });
      outcomes.push({ node: await store.nodes.get(NODE), csv: attributionCsv(hour.rows) });
    }
    expect(outcomes[0]!.node).toMatchObject({
      purchaseOption: 'spot',
      managed: true,
      state: 'terminated',
      stateChangedAt: at('10:42:00'),
      providerSeenAt: at('10:30:00'),
      runningJobs: ['job-7'],
    });
    expect(outcomes[0]).toEqual(outcomes[1]);
    // One window of spot at 9.83 $/h, not of on-demand at 32.7726 $/h.
    expect(outcomes[0]!.csv).toContain('0.819167,0.819167,2.731050,Usage');
    expect(outcomes[0]!.csv).toContain('p4d.24xlarge|spot');
  });

  it('folds an interruption notice kept for an unknown node into the node when its agent reports', async () => {
    const store = await make();
    const notice = {
      ...stateChange(NODE, 'running', at('10:01:00')),
      id: 'itn-1',
      'detail-type': 'EC2 Spot Instance Interruption Warning',
      detail: { 'instance-id': NODE, 'instance-action': 'terminate' },
    };
    await run(store, [record(notice)]);
    await run(store, [record(batchEvent(agentBatch(NODE, window(0))))]);
    expect(await store.nodes.get(NODE)).toMatchObject({
      state: 'running',
      interruptionNoticeAt: at('10:01:00'),
    });
  });

  it('fails a record the store could not hold alone, with its reason; its 20 batch-mates are stored', async () => {
    const poisons: [string, (b: ReturnType<typeof agentBatch>) => ReturnType<typeof agentBatch>, RegExp][] = [
      ['window start 1969', (b) => ({ ...b, windowStart: '1969-12-31T23:55:00Z' }), /^detail\.windowStart: /],
      ['240-character boot id', (b) => ({ ...b, bootId: 'b'.repeat(240) }), /^detail\.bootId: /],
      [
        'memory 1e16 MiB',
        (b) => ({ ...b, gpus: b.gpus.map((g) => ({ ...g, memoryTotalMiB: 1e16 })) }),
        /^detail\.gpus\[0\]\.memoryTotalMiB: /,
      ],
      ['2026-02-31', (b) => ({ ...b, windowStart: '2026-02-31T10:00:00Z' }), /^detail\.windowStart: /],
    ];
    for (const [name, poison, reason] of poisons) {
      const store = await make();
      const valid = Array.from({ length: 20 }, (_, k) =>
        record(
          batchEvent(
            agentBatch(`i-0${String(k).padStart(16, '0')}`, window(5 * (k % 12)), { jobs: ['job-7'] }),
          ),
        ),
      );
      const bad = record(batchEvent(poison(agentBatch(NODE, window(0))), 'poison'));
      const records = [...valid.slice(0, 10), bad, ...valid.slice(10)];
      const first = await run(store, records);
      expect(first.failed, name).toEqual([bad.messageId]);
      expect(first.failures[0]!.reason, name).toMatch(reason);
      // SQS delivers the failed record again: it fails again alone, and only it reaches the DLQ.
      expect((await run(store, [bad])).failed, name).toEqual([bad.messageId]);
      expect(await store.rollups.between(0, HOUR + HOUR_MS), name).toHaveLength(20);
      expect((await store.nodes.list()).map((n) => n.nodeId).sort(), name).toEqual(
        valid.map((_, k) => `i-0${String(k).padStart(16, '0')}`).sort(),
      );
    }
  });
});

describe('concurrent writers of one node', () => {
  it('a write that another ingest overtook is read and folded again, so neither is lost', async () => {
    const { store } = await freshDynamoStore();
    await run(store, [record(batchEvent(agentBatch(NODE, window(0))))]);
    // Both batches read the node before either writes; the older one writes last.
    let reads = 0;
    let release!: () => void;
    const bothRead = new Promise<void>((resolve) => (release = resolve));
    let newerWritten!: () => void;
    const newerDone = new Promise<void>((resolve) => (newerWritten = resolve));
    const racing: Store = {
      ...store,
      nodes: {
        ...store.nodes,
        // The first read of each ingest is the batched one; a retry reads the node alone.
        getMany: async (ids) => {
          const found = await store.nodes.getMany(ids);
          if (++reads === 2) release();
          await bothRead;
          return found;
        },
        patch: async (id, fields, expected) => {
          if (fields.lastSeenAt === at('10:14:50')) {
            const done = await store.nodes.patch(id, fields, expected);
            newerWritten();
            return done;
          }
          await newerDone;
          return store.nodes.patch(id, fields, expected);
        },
      },
    };
    const older = record(batchEvent(agentBatch(NODE, window(5), { jobs: ['job-7'] })));
    const newer = record(batchEvent(agentBatch(NODE, window(10), { jobs: ['job-8'] })));
    const results = await Promise.all([run(racing, [older]), run(racing, [newer])]);
    expect(results.map((r) => r.failed)).toEqual([[], []]);
    expect(await store.nodes.get(NODE)).toMatchObject({
      lastSeenAt: at('10:14:50'),
      runningJobs: ['job-8'],
      lastBusyAt: at('10:14:50'),
    });
  });
});

describe('a store that refuses what no schema foresaw', () => {
  it('fails only the record it refuses, for rollups and for node facts alike', async () => {
    const store = createMemoryStore();
    const refused = 'i-0fffffffffffffff9';
    const picky: Store = {
      ...store,
      rollups: {
        ...store.rollups,
        put: async (items) => {
          if (items.some((r) => r.node.nodeId === refused)) throw new RangeError('item too large');
          return store.rollups.put(items);
        },
      },
      nodes: {
        ...store.nodes,
        // Refuses any write that makes a node reserved; everything else about the node is kept.
        create: async (node) => {
          if (node.purchaseOption === 'reserved') throw new RangeError('reserved nodes are read-only');
          return store.nodes.create(node);
        },
        patch: async (id, fields, expected) => {
          if (fields.purchaseOption === 'reserved') throw new RangeError('reserved nodes are read-only');
          return store.nodes.patch(id, fields, expected);
        },
      },
    };
    const good = Array.from({ length: 6 }, (_, k) =>
      record(batchEvent(agentBatch(`i-0${String(k).padStart(16, '0')}`, window(0), { jobs: ['job-7'] }))),
    );
    const badRollup = record(batchEvent(agentBatch(refused, window(0))));
    const reserved = spotSnapshot(at('10:03:00'));
    const badNode = record({
      ...reserved,
      detail: {
        ...(reserved.detail as object),
        nodes: [{ ...(reserved.detail as { nodes: FleetNode[] }).nodes[0]!, purchaseOption: 'reserved' }],
      },
    });
    const sameNode = record(batchEvent(agentBatch(NODE, window(0), { jobs: ['job-7'] })));
    const result = await run(picky, [...good.slice(0, 3), badRollup, badNode, sameNode, ...good.slice(3)]);
    expect(result.failed.sort()).toEqual([badRollup.messageId, badNode.messageId].sort());
    expect(Object.fromEntries(result.failures.map((f) => [f.messageId, f.reason]))).toEqual({
      [badRollup.messageId]: 'storing its rollup failed: item too large',
      [badNode.messageId]: `updating node ${NODE} failed: reserved nodes are read-only`,
    });
    expect(await store.rollups.between(0, HOUR + HOUR_MS)).toHaveLength(7);
    expect(await store.nodes.get(NODE)).toMatchObject({
      purchaseOption: 'on-demand',
      runningJobs: ['job-7'],
    });
  });
});
