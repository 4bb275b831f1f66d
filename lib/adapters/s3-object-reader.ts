// The ObjectReader over S3 GetObject: streams the body, gunzipping it when it is gzip (how AWS Data Exports write CSV).
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { GetObjectCommand, type GetObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import type { Chunks } from '../attribution/bills/reader.ts';
import type { ObjectLocation, ObjectReader } from '../domain/ports.ts';

/** Every gzip member starts with these two bytes (RFC 1952); the content, not the key or a header, decides. */
const GZIP_MAGIC = [0x1f, 0x8b] as const;

export interface S3ObjectReaderOptions {
  client: Pick<S3Client, 'send'>;
}

export class ObjectNotReadableError extends Error {
  constructor(location: ObjectLocation, reason: string) {
    super(`s3://${location.bucket}/${location.key}: ${reason}`);
    this.name = 'ObjectNotReadableError';
  }
}

/** An S3 event notification's key is URL-encoded form data ("a b.csv" arrives as "a+b.csv"); undefined if not. */
export function urlDecodedKey(key: string): string | undefined {
  try {
    const decoded = decodeURIComponent(key.replace(/\+/g, ' '));
    return decoded === key ? undefined : decoded;
  } catch {
    return undefined;
  }
}

/** Bytes of a body as they arrive; strings (a test's or a proxy's body) as UTF-8. */
async function* bytesOf(body: AsyncIterable<unknown>): AsyncGenerator<Uint8Array> {
  for await (const chunk of body)
    yield typeof chunk === 'string' ? new TextEncoder().encode(chunk) : (chunk as Uint8Array);
}

/** The chunks, gunzipped as they stream when the first bytes say gzip (concatenated members included). */
export async function* gunzipIfGzip(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const iterator = chunks[Symbol.asyncIterator]();
  const head: Uint8Array[] = [];
  let seen = 0;
  while (seen < GZIP_MAGIC.length) {
    const next = await iterator.next();
    if (next.done) break;
    head.push(next.value);
    seen += next.value.byteLength;
  }
  const first = Buffer.concat(head);
  async function* replay(): AsyncGenerator<Uint8Array> {
    yield* head;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  }
  if (first[0] !== GZIP_MAGIC[0] || first[1] !== GZIP_MAGIC[1]) {
    yield* replay();
    return;
  }
  const source = Readable.from(replay(), { objectMode: false });
  const gunzip = createGunzip();
  // pipe() does not forward a source error: a body cut off mid-stream must fail the import, not end it early.
  source.on('error', (error) => gunzip.destroy(error));
  source.pipe(gunzip);
  yield* gunzip as AsyncIterable<Uint8Array>;
}

export function createS3ObjectReader(options: S3ObjectReaderOptions): ObjectReader {
  const get = (bucket: string, key: string) =>
    options.client.send(
      new GetObjectCommand({ Bucket: bucket, Key: key }),
    ) as Promise<GetObjectCommandOutput>;

  return {
    async read(location): Promise<Chunks> {
      let out: GetObjectCommandOutput;
      try {
        out = await get(location.bucket, location.key);
      } catch (error) {
        // A key from an event may be URL-encoded or not, depending on the delivery path: try the decoded one.
        const decoded = urlDecodedKey(location.key);
        if (!(error instanceof Error && error.name === 'NoSuchKey') || decoded === undefined) throw error;
        out = await get(location.bucket, decoded);
      }
      const body = out.Body as AsyncIterable<unknown> | undefined;
      if (!body || !(Symbol.asyncIterator in body))
        throw new ObjectNotReadableError(location, 'GetObject returned no readable body');
      return gunzipIfGzip(bytesOf(body));
    },
  };
}
