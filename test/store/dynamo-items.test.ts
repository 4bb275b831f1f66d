// DynamoDB store: what the items in the table really are (keys, money strings, TTL, packing, refusals).
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../lib/domain/validation.ts';
import { ROLLUP_TTL_SECONDS } from '../../lib/store/rollups.ts';
import { freshDynamoStore, scanTable } from '../support/dynamo.ts';
import { T0, samplePlan, sampleRollup } from '../support/store-samples.ts';

describe('DynamoDB store items', () => {
  it('a redelivered rollup leaves exactly one item, with its TTL and time-index keys', async () => {
    const { store, client, tableName } = await freshDynamoStore();
    const rollup = sampleRollup('n1', T0);
    await store.rollups.put([rollup]);
    await store.rollups.put([rollup, rollup]);
    const { Items } = await client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': 'NODE#n1' },
      }),
    );
    expect(Items).toHaveLength(1);
    expect(Items![0]).toMatchObject({
      SK: `ROLLUP#${String(T0).padStart(13, '0')}#${rollup.eventId}`,
      GSI1PK: 'ROLLUPS#2026-03-01',
      ttl: T0 / 1000 + ROLLUP_TTL_SECONDS,
    });
  });

  it('a second create of a plan is refused by the condition and leaves the first intact', async () => {
    const { store, client, tableName } = await freshDynamoStore();
    const plan = samplePlan('plan-1', T0);
    await store.plans.create(plan);
    expect(await store.plans.create({ ...plan, totalCostUsd: 1n, mode: 'enforce' })).toBe('exists');
    const { Item } = await client.send(
      new GetCommand({ TableName: tableName, Key: { PK: 'PLAN#plan-1', SK: 'PLAN' } }),
    );
    // Money is a 6-place decimal string in the table, never a float.
    expect(Item?.data).toMatchObject({ totalCostUsd: '9007199254.740993', mode: 'recommend' });
    expect((await scanTable(client, tableName)).filter((i) => i.kind === 'plan')).toHaveLength(1);
  });

  it('packs a plan too big for one item and reads it back exactly', async () => {
    const { store, client, tableName } = await freshDynamoStore();
    const base = samplePlan('big', T0);
    const line = base.lines[0]!;
    // 4000 lines (pools × options × periods) are some 900 KB as JSON: more than an item holds.
    const plan = {
      ...base,
      lines: Array.from({ length: 4_000 }, (_, i) => ({ ...line, instances: i, costUsd: BigInt(i) })),
    };
    expect(await store.plans.create(plan)).toBe('created');
    expect(await store.plans.get('big')).toEqual(plan);
    const [item] = (await scanTable(client, tableName)).filter((i) => i.kind === 'plan');
    expect(item?.dataGz).toBeInstanceOf(Uint8Array);
  });

  it('reports a stored item that no longer fits its schema by its key', async () => {
    const { store, client, tableName } = await freshDynamoStore();
    await store.plans.create(samplePlan('plan-1', T0));
    const { Item } = await client.send(
      new GetCommand({ TableName: tableName, Key: { PK: 'PLAN#plan-1', SK: 'PLAN' } }),
    );
    const data = { ...(Item!.data as Record<string, unknown>), totalCostUsd: 12.5 };
    await client.send(new PutCommand({ TableName: tableName, Item: { ...Item, data } }));
    const error = await store.plans.get('plan-1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toMatch(/PLAN#plan-1.*totalCostUsd/);
  });
});
