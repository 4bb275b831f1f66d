// Lambda door of the import-bill run: an S3 "Object Created" event (through EventBridge) in, the import's summary out.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import type { EventBridgeEvent } from 'aws-lambda';
import { z } from 'zod';
import { createEventBridgeSink } from '../lib/adapters/eventbridge-sink.ts';
import { createS3ObjectReader } from '../lib/adapters/s3-object-reader.ts';
import { BILL_FORMATS } from '../lib/attribution/bills/bill-row.ts';
import { formatUsd } from '../lib/domain/money.ts';
import { parseOrThrow } from '../lib/domain/validation.ts';
import { systemClock } from '../lib/memory/clock.ts';
import { DEFAULT_THRESHOLD_PCT, runImportBill } from '../lib/runs/import-bill.ts';
import { createDynamoStore } from '../lib/store/index.ts';

const zEnvironment = z.object({
  TABLE_NAME: z.string().min(1),
  EVENT_BUS_NAME: z.string().min(1),
  /** The bucket and key prefix the stack's rule watches; an event for another object is refused, not imported. */
  BILL_BUCKET: z.string().min(3),
  BILL_PREFIX: z.string().default(''),
  BILL_VARIANCE_THRESHOLD_PCT: z.coerce.number().min(0).default(DEFAULT_THRESHOLD_PCT),
  /** The exports' format when every file under the prefix has the same; otherwise each file's header tells. */
  BILL_FORMAT: z.enum(BILL_FORMATS).optional(),
});

/** The fields of S3's EventBridge "Object Created" event the door reads (the rest is S3's, passed by). */
export const zObjectCreatedEvent = z.object({
  source: z.literal('aws.s3'),
  'detail-type': z.literal('Object Created'),
  detail: z.object({
    bucket: z.object({ name: z.string().min(3) }),
    object: z.object({
      key: z.string().min(1),
      size: z.number().int().min(0).optional(),
      etag: z.string().optional(),
    }),
  }),
});
export type ObjectCreatedEvent = EventBridgeEvent<
  'Object Created',
  z.infer<typeof zObjectCreatedEvent>['detail']
>;

/** Read once at cold start: a missing or malformed variable fails the first invocation loudly. */
const environment = parseOrThrow(zEnvironment, process.env, 'import-bill function environment');
const store = createDynamoStore({
  client: DynamoDBDocumentClient.from(new DynamoDBClient({})),
  tableName: environment.TABLE_NAME,
});
const events = createEventBridgeSink({
  client: new EventBridgeClient({}),
  eventBusName: environment.EVENT_BUS_NAME,
});
const objects = createS3ObjectReader({ client: new S3Client({}) });
const log = (entry: Record<string, unknown>) => console.log(JSON.stringify(entry));

export type ImportBillSummary =
  | {
      exportKey: string;
      outcome: 'created' | 'replaced' | 'unchanged';
      format: string;
      rows: number;
      rejected: number;
      effectiveUsd: string;
      alertsSent: number;
    }
  | { skipped: string };

export async function importBillHandler(event: ObjectCreatedEvent): Promise<ImportBillSummary> {
  const { detail } = parseOrThrow(zObjectCreatedEvent, event, 'S3 Object Created event');
  const { name: bucket } = detail.bucket;
  const { key } = detail.object;
  if (bucket !== environment.BILL_BUCKET || !key.startsWith(environment.BILL_PREFIX)) {
    // Only the stack's rule should deliver here; anything else is logged and dropped, never retried.
    const skipped = `s3://${bucket}/${key} is not under s3://${environment.BILL_BUCKET}/${environment.BILL_PREFIX}`;
    log({ level: 'warn', msg: 'import-bill skipped', reason: skipped });
    return { skipped };
  }
  const result = await runImportBill(
    { store, bills: store.bills, events, clock: systemClock, objects, log },
    {
      bucket,
      key,
      thresholdPct: environment.BILL_VARIANCE_THRESHOLD_PCT,
      ...(environment.BILL_FORMAT ? { format: environment.BILL_FORMAT } : {}),
    },
  );
  return {
    exportKey: result.exportKey,
    outcome: result.outcome,
    format: result.format,
    rows: result.rows,
    rejected: result.rejected.length,
    effectiveUsd: formatUsd(result.totals.effectiveUsd),
    alertsSent: result.alertsSent,
  };
}

export const handler = middy<ObjectCreatedEvent, ImportBillSummary>().handler(importBillHandler);
