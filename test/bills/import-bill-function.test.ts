// functions/import-bill on S3's Object Created event: imports the export into dynalite once; a re-delivery changes nothing.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetObjectCommand, S3Client, type GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDynamoStore } from '../../lib/store/index.ts';
import { doorTable, lambdaContext } from '../functions/support.ts';
import { scanTable } from '../support/dynamo.ts';
import { fixture, FOCUS_BILL as BILL, FOCUS_BILL_DAY as DAY, seedListPriceAttribution } from './fixtures.ts';

const EVENT = JSON.parse(
  readFileSync(
    new URL('../fixtures/s3-events/eventbridge-object-created__data-export.json', import.meta.url),
    'utf8',
  ),
);
const BUCKET: string = EVENT.detail.bucket.name;
const KEY: string = EVENT.detail.object.key;

const s3 = mockClient(S3Client);
const bus = mockClient(EventBridgeClient);
let tableName: string;
let client: DynamoDBDocumentClient;
type Handler = (typeof import('../../functions/import-bill.ts'))['handler'];
const context = () => lambdaContext('GpuOptimizer-ImportBill', randomUUID(), 900_000);
let handler: Handler;

/** The export as Data Exports writes it: gzipped CSV, served in 512-byte pieces. */
function gzippedExport(): GetObjectCommandOutput {
  const gz = gzipSync(fixture(BILL));
  const pieces: Buffer[] = [];
  for (let i = 0; i < gz.length; i += 512) pieces.push(gz.subarray(i, i + 512));
  return {
    $metadata: { httpStatusCode: 200, attempts: 1, totalRetryDelay: 0 },
    ContentLength: gz.length,
    ContentType: 'application/octet-stream',
    ETag: `"${EVENT.detail.object.etag}"`,
    Body: Readable.from(pieces) as unknown as GetObjectCommandOutput['Body'],
  };
}

beforeAll(async () => {
  vi.spyOn(console, 'log').mockImplementation(() => {});
  // The deploy config's bills section names the bucket and prefix the stack's rule watches.
  ({ client, tableName } = await doorTable(
    { bills: { bucket: BUCKET, prefix: 'focus/gpu-focus/' } },
    { EVENT_BUS_NAME: 'GpuOptimizer' },
  ));
  // The attribution the bill is reconciled with: list prices, where the bill has a savings plan.
  await seedListPriceAttribution(createDynamoStore({ client, tableName }));
  ({ handler } = await import('../../functions/import-bill.ts'));
});

describe('functions/import-bill', () => {
  it('imports the export an Object Created event names, once: a re-delivery changes nothing and alerts no more', async () => {
    s3.on(GetObjectCommand).callsFake(() => gzippedExport());
    bus.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });

    const first = await handler(EVENT, context());
    expect(first).toEqual({
      exportKey: `${BUCKET}/${KEY}`,
      outcome: 'created',
      format: 'focus',
      rows: 12,
      rejected: 0,
      effectiveUsd: expect.stringMatching(/^\d+\.\d{6}$/),
      alertsSent: 1,
    });
    expect(s3.commandCalls(GetObjectCommand)[0]!.args[0].input).toEqual({ Bucket: BUCKET, Key: KEY });
    const alert = bus.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![0]!;
    expect(alert).toMatchObject({ DetailType: 'Budget Alert', EventBusName: 'GpuOptimizer' });
    expect(JSON.parse(alert.Detail!)).toMatchObject({
      scope: 'account:444455556666',
      varianceUsd: '-33.150572',
    });
    const stored = await scanTable(client, tableName);

    // EventBridge delivers at least once: the same object again, under a new event id, is not read again.
    const again = await handler({ ...EVENT, id: randomUUID() }, context());
    expect(again).toEqual(first);
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(1);
    expect(await scanTable(client, tableName)).toEqual(stored);
    expect(bus.commandCalls(PutEventsCommand)).toHaveLength(1);

    // The same content written again (a new ETag): read, found unchanged, and not alerted on twice.
    const rewritten = {
      ...EVENT,
      id: randomUUID(),
      detail: { ...EVENT.detail, object: { ...EVENT.detail.object, etag: 'f00dfeed' } },
    };
    expect(await handler(rewritten, context())).toMatchObject({
      outcome: 'unchanged',
      rows: 12,
      alertsSent: 0,
    });
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(2);
    expect(bus.commandCalls(PutEventsCommand)).toHaveLength(1);

    const bills = createDynamoStore({ client, tableName }).bills;
    expect(await bills.exports()).toEqual([
      expect.objectContaining({ exportKey: `${BUCKET}/${KEY}`, rows: 12 }),
    ]);
    expect(await bills.rowsBetween(DAY, DAY + 86_400_000)).toHaveLength(12);
  });

  it('drops an event for an object outside the configured bucket and prefix without reading it', async () => {
    s3.resetHistory();
    const elsewhere = {
      ...EVENT,
      detail: { ...EVENT.detail, object: { ...EVENT.detail.object, key: 'other/x.csv' } },
    };
    expect(await handler(elsewhere, context())).toEqual({
      skipped: `s3://${BUCKET}/other/x.csv is not under s3://${BUCKET}/focus/gpu-focus/`,
    });
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(0);
  });

  it('refuses an event that is not an S3 Object Created, naming the field', async () => {
    const deleted = { ...EVENT, 'detail-type': 'Object Deleted' };
    await expect(handler(deleted, context())).rejects.toThrow(/detail-type/);
    const noKey = { ...EVENT, detail: { ...EVENT.detail, object: { size: 5 } } };
    await expect(handler(noKey, context())).rejects.toThrow(/detail\.object\.key/);
  });
});
