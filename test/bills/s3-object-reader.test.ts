// The S3 ObjectReader on GetObject responses shaped as S3 returns them: plain and gzipped exports, encoded keys, broken bodies.
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { GetObjectCommand, NoSuchKey, S3Client, type GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { importBill } from '../../lib/attribution/bills/import.ts';
import { chunked } from '../../lib/attribution/bills/reader.ts';
import { createS3ObjectReader, urlDecodedKey } from '../../lib/adapters/s3-object-reader.ts';
import { fixture, FOCUS_BILL as BILL } from './fixtures.ts';

const s3 = mockClient(S3Client);
afterEach(() => s3.reset());

/** A GetObject response as the SDK hands it over in Node: the body a stream of byte chunks, with S3's headers. */
function getObjectOutput(bytes: Buffer, chunkBytes: number, contentType: string): GetObjectCommandOutput {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunkBytes) chunks.push(bytes.subarray(i, i + chunkBytes));
  return {
    $metadata: { httpStatusCode: 200, requestId: 'TX8GJ3MF0ZK3M1QE', attempts: 1, totalRetryDelay: 0 },
    AcceptRanges: 'bytes',
    LastModified: new Date('2026-03-03T04:12:57.000Z'),
    ContentLength: bytes.length,
    ETag: '"6f1e3c5f0b8a4d2e9c7b1a0f2e4d6c8b"',
    ContentType: contentType,
    ServerSideEncryption: 'AES256',
    Metadata: {},
    Body: Readable.from(chunks) as unknown as GetObjectCommandOutput['Body'],
  };
}

async function text(chunks: AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>) {
  const parts: Buffer[] = [];
  for await (const c of chunks) parts.push(Buffer.from(c));
  return Buffer.concat(parts).toString('utf8');
}

const reader = () => createS3ObjectReader({ client: new S3Client({ region: 'us-east-1' }) });
const location = {
  bucket: 'cur-exports-111122223333',
  key: 'focus/gpu/data/BILLING_PERIOD=2026-03/part-00001.csv.gz',
};

describe('the S3 object reader', () => {
  it('streams a plain CSV export: the import reads the same rows as from the file', async () => {
    s3.on(GetObjectCommand).resolves(getObjectOutput(fixture(BILL), 97, 'text/csv'));
    const fromS3 = await importBill(await reader().read(location), { exportKey: 'k' });
    const fromFile = await importBill([fixture(BILL)], { exportKey: 'k' });
    expect(fromS3.rows).toHaveLength(12);
    expect(fromS3).toEqual(fromFile);
    expect(s3.commandCalls(GetObjectCommand)[0]!.args[0].input).toEqual({
      Bucket: location.bucket,
      Key: location.key,
    });
  });

  it('gunzips a gzipped export as it streams, even when the magic bytes are split across chunks', async () => {
    const gz = gzipSync(fixture(BILL));
    for (const chunkBytes of [1, 7, 4096]) {
      s3.on(GetObjectCommand).resolves(getObjectOutput(gz, chunkBytes, 'application/octet-stream'));
      expect(await text(await reader().read(location))).toBe(fixture(BILL).toString('utf8'));
    }
  });

  it('reads every member of a multi-member gzip file', async () => {
    const plain = fixture(BILL);
    const half = plain.indexOf('\n', plain.length / 2) + 1;
    const gz = Buffer.concat([gzipSync(plain.subarray(0, half)), gzipSync(plain.subarray(half))]);
    s3.on(GetObjectCommand).resolves(getObjectOutput(gz, 64, 'application/gzip'));
    expect(await text(await reader().read(location))).toBe(plain.toString('utf8'));
  });

  it('fails on a truncated gzip body instead of importing part of the file', async () => {
    const gz = gzipSync(fixture(BILL));
    s3.on(GetObjectCommand).resolves(getObjectOutput(gz.subarray(0, gz.length - 40), 64, 'application/gzip'));
    await expect(text(await reader().read(location))).rejects.toThrow(/unexpected end of file/);
  });

  it('fails when the connection drops mid-body', async () => {
    const gz = gzipSync(fixture(BILL));
    async function* dropping() {
      yield gz.subarray(0, 100);
      throw new Error('socket hang up');
    }
    s3.on(GetObjectCommand).resolves({
      ...getObjectOutput(gz, 64, 'application/gzip'),
      Body: Readable.from(dropping()) as unknown as GetObjectCommandOutput['Body'],
    });
    await expect(text(await reader().read(location))).rejects.toThrow(/socket hang up/);
  });

  it('retries a missing URL-encoded event key with its decoded form, and no other', async () => {
    const encoded = 'focus/gpu/data/BILLING_PERIOD%3D2026-03/gpu+export-00001.csv';
    const decoded = 'focus/gpu/data/BILLING_PERIOD=2026-03/gpu export-00001.csv';
    expect(urlDecodedKey(encoded)).toBe(decoded);
    expect(urlDecodedKey('plain/key.csv')).toBeUndefined();
    const missing = new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} });
    s3.on(GetObjectCommand, { Key: encoded }).rejects(missing);
    s3.on(GetObjectCommand, { Key: decoded }).resolves(getObjectOutput(fixture(BILL), 500, 'text/csv'));
    expect(await text(await reader().read({ bucket: location.bucket, key: encoded }))).toContain(
      'BilledCost',
    );

    s3.reset();
    s3.on(GetObjectCommand).rejects(missing);
    await expect(reader().read({ bucket: location.bucket, key: 'plain/key.csv' })).rejects.toThrow(
      /specified key does not exist/,
    );
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(1);
  });

  it('streams rather than buffers: the first rows are read before the body has ended', async () => {
    const csv = fixture(BILL).toString('utf8');
    let served = 0;
    async function* slow() {
      for (const piece of chunked(csv, 200)) {
        served++;
        yield Buffer.from(piece);
      }
    }
    s3.on(GetObjectCommand).resolves({
      ...getObjectOutput(Buffer.alloc(0), 1, 'text/csv'),
      Body: Readable.from(slow()) as unknown as GetObjectCommandOutput['Body'],
    });
    const chunks = await reader().read(location);
    for await (const _ of chunks as AsyncIterable<Uint8Array>) break;
    expect(served).toBeLessThan([...chunked(csv, 200)].length);
  });
});
