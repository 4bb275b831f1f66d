// A DynamoDB store on its own fresh table in the run's shared dynalite (started by test/setup/global-setup.ts).
import { randomUUID } from 'node:crypto';
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import type { Store } from '../../lib/domain/ports.ts';
import { createTable, localDocumentClient } from '../../lib/store/embedded.ts';
import { createDynamoStore } from '../../lib/store/index.ts';
import type { RetryPolicy } from '../../lib/store/io.ts';

export interface FreshDynamoStore {
  store: Store;
  client: DynamoDBDocumentClient;
  tableName: string;
}

/** Backoff short enough that retry tests take milliseconds. */
export const FAST_RETRY: RetryPolicy = { attempts: 8, baseMs: 1, maxMs: 20 };

export async function freshDynamoStore(
  options: { maxAttempts?: number; retry?: Partial<RetryPolicy> } = {},
): Promise<FreshDynamoStore> {
  const client = localDocumentClient(inject('dynamoEndpoint'), { maxAttempts: options.maxAttempts });
  const tableName = `test-${randomUUID()}`;
  await createTable(client, tableName);
  const store = createDynamoStore({ client, tableName, retry: { ...FAST_RETRY, ...options.retry } });
  return { store, client, tableName };
}

/** Every raw item of a table, for tests that check what is really stored. */
export async function scanTable(
  client: DynamoDBDocumentClient,
  tableName: string,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: startKey }));
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

/** Every raw item of a table in key order: a dump two runs can be compared by. */
export async function sortedTable(
  client: DynamoDBDocumentClient,
  tableName: string,
): Promise<Record<string, unknown>[]> {
  const key = (item: Record<string, unknown>) => `${String(item.pk)}|${String(item.sk)}`;
  return (await scanTable(client, tableName)).sort((a, b) => key(a).localeCompare(key(b)));
}
