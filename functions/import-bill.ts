// Lambda door of the import-bill run: an S3 "Object Created" event (through EventBridge) in, the import's summary out.
import type { EventBridgeEvent } from 'aws-lambda';
import { z } from 'zod';
import { createS3ObjectReader } from '../lib/adapters/s3-object-reader.ts';
import { formatUsd } from '../lib/domain/money.ts';
import { parseOrThrow } from '../lib/domain/validation.ts';
import { runImportBill } from '../lib/runs/import-bill.ts';
import { openDoor } from '../lib/system/door.ts';
import { idempotencyMiddleware } from '../lib/system/idempotency.ts';

const door = openDoor('importBill');

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
  const { config, assembly } = await door.system();
  const { bucket: watched, prefix, ...options } = door.entry.options(config);
  const { name: bucket } = detail.bucket;
  const { key } = detail.object;
  if (bucket !== watched || !key.startsWith(prefix)) {
    // Only the stack's rule should deliver here; anything else is logged and dropped, never retried.
    const skipped = `s3://${bucket}/${key} is not under s3://${watched}/${prefix}`;
    door.logger.warn('import-bill skipped', { reason: skipped });
    return { skipped };
  }
  const { S3Client } = await import('@aws-sdk/client-s3');
  const store = await assembly.store();
  const result = await runImportBill(
    {
      store,
      bills: store.bills,
      events: await assembly.events(),
      clock: assembly.clock,
      objects: createS3ObjectReader({ client: new S3Client({}) }),
      log: door.log,
    },
    { bucket, key, ...options },
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

export const handler = door.wrap(importBillHandler, idempotencyMiddleware);
