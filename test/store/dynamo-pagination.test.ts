// DynamoDB store: reads that pass DynamoDB's 1 MB page limit come back whole.
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS, WINDOW_MS } from '../../lib/domain/time.ts';
import type { WindowRollup } from '../../lib/domain/usage.ts';
import { freshDynamoStore, type FreshDynamoStore } from '../support/dynamo.ts';
import { T0, sampleRollup } from '../support/store-samples.ts';

/** An 8-GPU rollup with long names is stored gzipped, some 700 B as DynamoDB counts it; 1,800 make about 1.2 MB. */
const WINDOWS = 1800;

describe('DynamoDB store pagination', () => {
  let fresh: FreshDynamoStore;
  let written: WindowRollup[];
  // Starts late on a day, so the windows span several UTC days and `between` reads several day partitions.
  const firstMs = T0 + DAY_MS - 50 * WINDOW_MS;

  beforeAll(async () => {
    fresh = await freshDynamoStore();
    written = Array.from({ length: WINDOWS }, (_, k) =>
      sampleRollup('big-node', firstMs + k * WINDOW_MS, { gpus: 8, longNames: true }),
    );
    await fresh.store.rollups.put(written);
  });

  it('holds more than one page: a single raw query stops with a LastEvaluatedKey', async () => {
    const page = await fresh.client.send(
      new QueryCommand({
        TableName: fresh.tableName,
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': 'NODE#big-node' },
      }),
    );
    expect(page.LastEvaluatedKey).toBeDefined();
    expect(page.Items!.length).toBeLessThan(WINDOWS);
  });

  it('forNode reads every window back, in order', async () => {
    const got = await fresh.store.rollups.forNode('big-node', firstMs, firstMs + WINDOWS * WINDOW_MS);
    expect(got).toEqual(written);
  });

  it('between reads every window of every day back', async () => {
    const got = await fresh.store.rollups.between(0, Number.POSITIVE_INFINITY);
    expect(got).toEqual(written);
  });

  it('between reads a day partition that spans several pages whole, in order', async () => {
    // 1,800 nodes in one window of one day: one day partition of about 1.2 MB, so the day is read in pages.
    const sameWindow = Array.from({ length: WINDOWS }, (_, k) =>
      sampleRollup(`node-${String(k).padStart(4, '0')}`, T0 + 30 * DAY_MS, { gpus: 8, longNames: true }),
    );
    await fresh.store.rollups.put(sameWindow);
    const page = await fresh.client.send(
      new QueryCommand({
        TableName: fresh.tableName,
        IndexName: 'GSI1',
        KeyConditionExpression: 'GSI1PK = :pk',
        ExpressionAttributeValues: {
          ':pk': `ROLLUPS#${new Date(T0 + 30 * DAY_MS).toISOString().slice(0, 10)}`,
        },
      }),
    );
    expect(page.LastEvaluatedKey).toBeDefined();
    const got = await fresh.store.rollups.between(T0 + 30 * DAY_MS, T0 + 30 * DAY_MS + WINDOW_MS);
    expect(got).toEqual(sameWindow);
  });
});
