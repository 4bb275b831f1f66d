// Lambda door of the ingest run: SQS records (EventBridge events) in, partial batch failures out.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { z } from 'zod';
import { parseOrThrow } from '../lib/domain/validation.ts';
import { systemClock } from '../lib/memory/clock.ts';
import { jsonLogger } from '../lib/ingest/logger.ts';
import { ingest } from '../lib/runs/ingest.ts';
import { createDynamoStore } from '../lib/store/index.ts';

const zEnvironment = z.object({ TABLE_NAME: z.string().min(1) });

/** Read once at cold start: a missing variable fails the first invocation loudly, not a write later. */
const environment = parseOrThrow(zEnvironment, process.env, 'ingest function environment');

const store = createDynamoStore({
  client: DynamoDBDocumentClient.from(new DynamoDBClient({})),
  tableName: environment.TABLE_NAME,
});
const logger = jsonLogger((line) => process.stdout.write(line));

export async function ingestHandler(event: SQSEvent): Promise<SQSBatchResponse> {
  return ingest(
    event.Records.map((r) => ({ messageId: r.messageId, body: r.body })),
    { store, clock: systemClock, logger },
  );
}

export const handler = middy<SQSEvent, SQSBatchResponse>().handler(ingestHandler);
