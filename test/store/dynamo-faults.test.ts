// DynamoDB store under throttling and partial batches, injected in front of the real dynalite.
import { afterEach, describe, expect, it } from 'vitest';
import { WINDOW_MS } from '../../lib/domain/time.ts';
import { BatchWriteIncompleteError } from '../../lib/store/io.ts';
import { injectFaults, type FaultLog } from '../support/faults.ts';
import { freshDynamoStore, scanTable } from '../support/dynamo.ts';
import { T0, sampleAttributionRow, sampleNode, sampleRollup } from '../support/store-samples.ts';

const rollups = (count: number) =>
  Array.from({ length: count }, (_, k) => sampleRollup('n1', T0 + k * WINDOW_MS));
const storedRollups = async (client: Parameters<typeof scanTable>[0], tableName: string) =>
  (await scanTable(client, tableName)).filter((item) => item.kind === 'rollup');

describe('DynamoDB store under injected faults', () => {
  let faults: FaultLog | undefined;
  afterEach(() => faults?.remove());

  it('writes every item when batches come back with UnprocessedItems', async () => {
    const { store, client, tableName } = await freshDynamoStore({ maxAttempts: 1 });
    faults = injectFaults(client, { unprocessed: { calls: 6 } });
    const written = rollups(60);
    await store.rollups.put(written);
    expect(faults.deferredItems).toBeGreaterThan(0);
    expect(await storedRollups(client, tableName)).toHaveLength(60);
    expect(await store.rollups.forNode('n1', 0, Infinity)).toEqual(written);
  });

  it('writes every item when BatchWriteItem is throttled past the SDK retries', async () => {
    // maxAttempts 1: the SDK does not retry, so each throttle reaches the store's own backoff.
    const { store, client, tableName } = await freshDynamoStore({ maxAttempts: 1 });
    faults = injectFaults(client, { throttleFirst: 4, throttleOnly: ['BatchWrite'] });
    await store.rollups.put(rollups(30));
    expect(faults.throttled).toBe(4);
    expect(await storedRollups(client, tableName)).toHaveLength(30);
  });

  it('retries throttled queries and single writes (ThrottlingException)', async () => {
    const { store, client } = await freshDynamoStore({ maxAttempts: 1 });
    await store.rollups.put(rollups(3));
    faults = injectFaults(client, { throttleFirst: 3, throttleError: 'ThrottlingException' });
    expect(await store.rollups.between(0, Infinity)).toHaveLength(3);
    faults.remove();
    faults = injectFaults(client, { throttleFirst: 2, throttleOnly: ['PutItem'] });
    await store.attribution.putHour(T0, [sampleAttributionRow(T0, 'job-1', 5n)]);
    expect(
      await store.ledger.record({
        entryId: 'e1',
        at: '2026-03-01T00:00:00Z',
        lever: 'reclaim',
        target: 'i-1',
        reason: 'idle',
        mode: 'recommend',
        status: 'recommended',
        counterfactualCostUsd: 10n,
        actualCostUsd: 0n,
        periodStart: '2026-03-01T00:00:00Z',
        periodEnd: '2026-03-01T01:00:00Z',
      }),
    ).toBe('created');
    expect(faults.throttled).toBe(2);
  });

  it('lets the SDK absorb throttling it can retry itself', async () => {
    const { store, client, tableName } = await freshDynamoStore({ maxAttempts: 3 });
    faults = injectFaults(client, { throttleFirst: 2, throttleOnly: ['BatchWrite'] });
    await store.rollups.put(rollups(5));
    expect(faults.calls).toBeGreaterThanOrEqual(3);
    expect(await storedRollups(client, tableName)).toHaveLength(5);
  });

  it('gives up after its attempts and says how many items were left', async () => {
    const { store, client, tableName } = await freshDynamoStore({ maxAttempts: 1, retry: { attempts: 3 } });
    faults = injectFaults(client, { unprocessed: { calls: Infinity, keep: (n) => n - 2 } });
    const error = await store.rollups.put(rollups(10)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BatchWriteIncompleteError);
    // 10 rollups and 1 day marker in one batch; each of 3 attempts writes all but 2.
    expect((error as Error).message).toMatch(/^2 of 11 items were not written/);
    expect(await storedRollups(client, tableName)).toHaveLength(9);
  });

  it('reads every node when BatchGetItem hands keys back unprocessed or is throttled', async () => {
    const { store, client } = await freshDynamoStore({ maxAttempts: 1 });
    const ids = Array.from({ length: 120 }, (_, k) => `n${k}`);
    for (const id of ids) await store.nodes.put(sampleNode(id));
    faults = injectFaults(client, {
      unprocessedKeys: { calls: 3 },
      throttleFirst: 2,
      throttleOnly: ['BatchGet'],
    });
    const got = await store.nodes.getMany(ids);
    expect(faults.deferredItems).toBeGreaterThan(0);
    expect(faults.throttled).toBe(2);
    expect([...got.keys()].sort()).toEqual([...ids].sort());
    expect(got.get('n99')).toEqual(sampleNode('n99'));
  });

  it('fails a batched read whose keys are still unread after its attempts, rather than call them absent', async () => {
    const { store, client } = await freshDynamoStore({ maxAttempts: 1, retry: { attempts: 3 } });
    for (const id of ['a', 'b', 'c']) await store.nodes.put(sampleNode(id));
    faults = injectFaults(client, { unprocessedKeys: { calls: Infinity, keep: (n) => n - 1 } });
    await expect(store.nodes.getMany(['a', 'b', 'c'])).rejects.toThrow(
      /^1 of 3 items were still unread after 3 attempts/,
    );
  });
});
