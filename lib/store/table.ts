// The one table: its name parts, keys, index and definition; the key layout itself is in KEYS.md beside it.
import {
  CreateTableCommand,
  DescribeTableCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export const PARTITION_KEY = 'PK';
export const SORT_KEY = 'SK';
/** The one global secondary index: time-ordered reads across partitions (rollups by day, plans, ledger). */
export const TIME_INDEX = 'GSI1';
export const TIME_INDEX_PARTITION_KEY = 'GSI1PK';
export const TIME_INDEX_SORT_KEY = 'GSI1SK';
/** Epoch seconds; the stack enables TTL on this attribute, the code never calls the TTL API. */
export const TTL_ATTRIBUTE = 'ttl';

export { MAX_SORTABLE_MS, sortableMs, storableRange } from './rules.ts';

/** The table as CreateTable takes it; the CDK stack must declare the same keys and index. */
export function tableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: PARTITION_KEY, AttributeType: 'S' },
      { AttributeName: SORT_KEY, AttributeType: 'S' },
      { AttributeName: TIME_INDEX_PARTITION_KEY, AttributeType: 'S' },
      { AttributeName: TIME_INDEX_SORT_KEY, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: PARTITION_KEY, KeyType: 'HASH' },
      { AttributeName: SORT_KEY, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: TIME_INDEX,
        KeySchema: [
          { AttributeName: TIME_INDEX_PARTITION_KEY, KeyType: 'HASH' },
          { AttributeName: TIME_INDEX_SORT_KEY, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  };
}

const TABLE_ACTIVE_POLL_MS = 20;
const TABLE_ACTIVE_MAX_POLLS = 500;

/** Creates the table and waits until it and its index are ACTIVE (local engines only; the stack owns it in AWS). */
export async function createTable(
  client: DynamoDBClient | DynamoDBDocumentClient,
  tableName: string,
): Promise<void> {
  // A document client sends low-level commands through the same stack; the cast only widens its types.
  const lowLevel = client as DynamoDBClient;
  await lowLevel.send(new CreateTableCommand(tableDefinition(tableName)));
  for (let poll = 0; poll < TABLE_ACTIVE_MAX_POLLS; poll++) {
    const { Table } = await lowLevel.send(new DescribeTableCommand({ TableName: tableName }));
    const indexesActive = (Table?.GlobalSecondaryIndexes ?? []).every((i) => i.IndexStatus === 'ACTIVE');
    if (Table?.TableStatus === 'ACTIVE' && indexesActive) return;
    await new Promise((resolve) => setTimeout(resolve, TABLE_ACTIVE_POLL_MS));
  }
  throw new Error(`table ${tableName} did not become ACTIVE`);
}
