import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRfc3339, toRfc3339 } from '../../lib/domain/time.ts';
import { batchEventId, type UtilizationBatch } from '../../lib/domain/usage.ts';
import { memoryLogger } from '../../lib/ingest/logger.ts';
import { isCertainlyValidBatch } from '../../lib/ingest/fast-batch.ts';
import { parseRecordBody } from '../../lib/ingest/records.ts';
import { zUtilizationBatch } from '../../lib/domain/usage.ts';
import { fixedClock } from '../../lib/memory/clock.ts';
import { createMemoryStore } from '../../lib/memory/store.ts';
import { ingest } from '../../lib/runs/ingest.ts';
import { batchEvent } from './fixtures.ts';

const W0 = parseRfc3339('2026-03-02T10:00:00Z');

const reading = (windowMs: number) =>
  fc
    .record({
      offsetS: fc.integer({ min: 0, max: 299 }),
      utilizationPct: fc.option(fc.integer({ min: 0, max: 100 }), { nil: null }),
      memoryUsedMiB: fc.option(fc.integer({ min: 0, max: 81_920 }), { nil: null }),
      powerW: fc.option(fc.double({ min: 0, max: 1000, noNaN: true }), { nil: null }),
      temperatureC: fc.option(fc.integer({ min: 0, max: 110 }), { nil: null }),
    })
    .map(({ offsetS, ...r }) => ({ at: toRfc3339(windowMs + offsetS * 1000), ...r }));

const validBatch: fc.Arbitrary<UtilizationBatch> = fc
  .record({
    nodeId: fc.constantFrom('n-1', 'n-2', 'i-0abc12345def67890'),
    window: fc.integer({ min: 0, max: 5 }),
    bootId: fc.constantFrom('boot-a', 'boot-b'),
    gpuCount: fc.integer({ min: 1, max: 3 }),
  })
  .chain(({ nodeId, window, bootId, gpuCount }) => {
    const windowMs = W0 + window * 300_000;
    return fc
      .tuple(...Array.from({ length: gpuCount }, () => fc.array(reading(windowMs), { maxLength: 30 })))
      .map((series): UtilizationBatch => ({
        schemaVersion: '1',
        node: {
          nodeId,
          provider: 'aws',
          region: 'us-east-1',
          zone: 'us-east-1a',
          instanceType: 'g5.12xlarge',
          poolId: 'aws:us-east-1:us-east-1a:g5.12xlarge',
          labels: {},
        },
        bootId,
        windowStart: toRfc3339(windowMs),
        sampleIntervalSeconds: 10,
        gpus: series.map((readings, index) => ({
          index,
          uuid: `GPU-${index}`,
          model: 'NVIDIA A10G',
          memoryTotalMiB: 23_028,
          readings,
          processes: [{ pid: 100 + index, usedMemoryMiB: 1, jobId: `job-${index}` }],
        })),
      }));
  });

/** Valid events broken in one place: a key removed, a value replaced by anything JSON can hold. */
const brokenEvent = fc
  .tuple(
    validBatch,
    fc.constantFrom(
      'id',
      'time',
      'source',
      'detail-type',
      'detail',
      'schemaVersion',
      'node',
      'gpus',
      'windowStart',
    ),
    fc.jsonValue(),
    fc.boolean(),
  )
  .map(([batch, key, value, remove]) => {
    // Its own boot id: a break that still parses must not overwrite a valid batch's item in the check below.
    const event = batchEvent({ ...batch, bootId: 'boot-broken' }) as Record<string, unknown>;
    const target = key in event ? event : (event.detail as Record<string, unknown>);
    if (remove) delete target[key];
    else target[key] = value;
    return JSON.stringify(event);
  });

const anyBody = fc.oneof(
  fc.string(),
  fc.json(),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  validBatch.map((b) => JSON.stringify(batchEvent(b)).slice(0, 120)),
  brokenEvent,
);

describe('ingest against random and malformed input', () => {
  it('the validator never throws, whatever the body', () => {
    fc.assert(
      fc.property(anyBody, (body) => {
        const result = parseRecordBody(body);
        expect(typeof result.ok).toBe('boolean');
        if (!result.ok) expect(result.error.length).toBeGreaterThan(0);
      }),
      { numRuns: 400 },
    );
  });

  it('the fast check only passes what the schema accepts unchanged', () => {
    const details = fc.oneof(
      validBatch,
      brokenEvent.map((body) => (JSON.parse(body) as { detail?: unknown }).detail),
      fc.jsonValue(),
    );
    fc.assert(
      fc.property(details, (detail) => {
        if (!isCertainlyValidBatch(detail)) return;
        const parsed = zUtilizationBatch.safeParse(detail);
        expect(parsed.success).toBe(true);
        expect(parsed.data).toEqual(detail);
      }),
      { numRuns: 400 },
    );
  });

  it('the handler never throws, fails exactly the invalid records, and stores every valid sample', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            {
              arbitrary: validBatch.map((b) => ({ batch: b, body: JSON.stringify(batchEvent(b)) })),
              weight: 2,
            },
            { arbitrary: anyBody.map((body) => ({ batch: undefined, body })), weight: 1 },
          ),
          {
            maxLength: 12,
          },
        ),
        async (items) => {
          const store = createMemoryStore();
          const records = items.map((item, i) => ({ messageId: `m${i}`, body: item.body }));
          // The clock reads after every window: no valid batch is dated ahead of it.
          const clock = fixedClock(W0 + 3_600_000);
          const result = await ingest(records, { store, clock, logger: memoryLogger() });
          const failed = new Set(result.batchItemFailures.map((f) => f.itemIdentifier));
          records.forEach((r) => expect(failed.has(r.messageId)).toBe(!parseRecordBody(r.body).ok));

          const stored = await store.rollups.between(W0 - 86_400_000, W0 + 86_400_000);
          for (const { batch } of items) {
            if (!batch) continue;
            const item = stored.find(
              (s) => s.node.nodeId === batch.node.nodeId && s.eventId === batchEventId(batch),
            );
            expect(item).toBeDefined();
            // The last delivery of an event id is the one kept; it holds every one of that batch's readings.
            const last = items
              .filter(
                (i) =>
                  i.batch &&
                  i.batch.node.nodeId === batch.node.nodeId &&
                  batchEventId(i.batch) === batchEventId(batch),
              )
              .at(-1)!.batch!;
            expect(item!.gpus.reduce((n, g) => n + g.sampleCount, 0)).toBe(
              last.gpus.reduce((n, g) => n + g.readings.length, 0),
            );
          }
          for (const node of new Set(items.flatMap((i) => (i.batch ? [i.batch.node.nodeId] : [])))) {
            expect(await store.nodes.get(node)).toBeDefined();
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
