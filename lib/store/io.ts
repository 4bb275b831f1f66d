// The DynamoDB calls every repository makes: retried on throttling, paginated, batched, with stored-payload packing.
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  BatchGetCommand,
  BatchWriteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { z } from 'zod';
import { utcDate } from '../domain/time.ts';
import { decodeEntity } from './codec.ts';
import {
  PARTITION_KEY,
  SORT_KEY,
  TIME_INDEX,
  TIME_INDEX_PARTITION_KEY,
  TIME_INDEX_SORT_KEY,
  sortableMs,
  storableRange,
} from './table.ts';

export type Item = Record<string, unknown>;

/** Backoff for throttling and UnprocessedItems: full jitter, delay = random(0, min(maxMs, baseMs × 2^attempt)). */
export interface RetryPolicy {
  /** Calls made in all (the first included) before giving up. */
  attempts: number;
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 8, baseMs: 50, maxMs: 2_000 };

export interface TableContext {
  client: DynamoDBDocumentClient;
  tableName: string;
  retry: RetryPolicy;
}

/** BatchWriteItem takes at most 25 requests per call. */
export const BATCH_WRITE_LIMIT = 25;
/** Batch calls in flight at once: enough to overlap round trips, few enough not to provoke throttling. */
const BATCH_CONCURRENCY = 4;
/** Error names DynamoDB uses when it sheds load; the SDK retries these too, the store retries what reaches it. */
const THROTTLING_ERRORS = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
]);

export class BatchWriteIncompleteError extends Error {
  constructor(
    readonly left: number,
    readonly total: number,
    readonly attempts: number,
  ) {
    super(`${left} of ${total} items were not written to DynamoDB after ${attempts} attempts (throttled)`);
    this.name = 'BatchWriteIncompleteError';
  }
}

export function isThrottling(error: unknown): boolean {
  return error instanceof Error && THROTTLING_ERRORS.has(error.name);
}

export function isConditionFailed(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

function backoffMs(policy: RetryPolicy, attempt: number): number {
  return Math.random() * Math.min(policy.maxMs, policy.baseMs * 2 ** attempt);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs one call, retrying it with backoff while DynamoDB throttles; other errors pass through at once. */
export async function withThrottleRetry<T>(policy: RetryPolicy, call: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!isThrottling(error) || attempt + 1 >= policy.attempts) throw error;
      await sleep(backoffMs(policy, attempt));
    }
  }
}

/** Runs `fn` over `items` with at most `limit` in flight, keeping the order of results. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Items mapped between requests: small enough that the next page's request is not held up by the mapping. */
const MAP_SLICE = 100;
const yieldToIo = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Every item a query matches, following LastEvaluatedKey past the 1 MB page limit, each mapped by `map`. The
 * next page is asked for before a page is mapped, and the mapping yields between slices, so decoding one page
 * overlaps the store's work on the next.
 */
export async function queryAllMapped<T>(
  ctx: TableContext,
  input: Omit<QueryCommandInput, 'TableName'>,
  map: (item: Item) => T,
): Promise<T[]> {
  const out: T[] = [];
  const ask = (startKey: Item | undefined) =>
    withThrottleRetry(ctx.retry, () =>
      ctx.client.send(new QueryCommand({ ...input, TableName: ctx.tableName, ExclusiveStartKey: startKey })),
    );
  let next: ReturnType<typeof ask> | undefined = ask(undefined);
  while (next) {
    const page = await next;
    const startKey = page.LastEvaluatedKey as Item | undefined;
    next = startKey ? ask(startKey) : undefined;
    const items = (page.Items ?? []) as Item[];
    for (let i = 0; i < items.length; i += MAP_SLICE) {
      if (next && i > 0) await yieldToIo();
      for (const item of items.slice(i, i + MAP_SLICE)) out.push(map(item));
    }
  }
  return out;
}

/** Every item a query matches, following LastEvaluatedKey past the 1 MB page limit. */
export function queryAll(ctx: TableContext, input: Omit<QueryCommandInput, 'TableName'>): Promise<Item[]> {
  return queryAllMapped(ctx, input, (item) => item);
}

/** Every item of one partition with a sort key in [lo, hi] (inclusive, as BETWEEN is), in sort-key order. */
export function queryBetween(ctx: TableContext, partition: string, lo: string, hi: string): Promise<Item[]> {
  return queryAll(ctx, {
    KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :lo AND :hi',
    ExpressionAttributeNames: { '#pk': PARTITION_KEY, '#sk': SORT_KEY },
    ExpressionAttributeValues: { ':pk': partition, ':lo': lo, ':hi': hi },
  });
}

/** Every item of one partition, in sort-key order. */
export function queryPartition(ctx: TableContext, partition: string): Promise<Item[]> {
  return queryAll(ctx, {
    KeyConditionExpression: '#pk = :pk',
    ExpressionAttributeNames: { '#pk': PARTITION_KEY },
    ExpressionAttributeValues: { ':pk': partition },
  });
}

/** The first item a query returns (with Limit 1 and the order it asks for), without paging on. */
export async function queryFirst(
  ctx: TableContext,
  input: Omit<QueryCommandInput, 'TableName' | 'Limit'>,
): Promise<Item | undefined> {
  const page = await withThrottleRetry(ctx.retry, () =>
    ctx.client.send(new QueryCommand({ ...input, TableName: ctx.tableName, Limit: 1 })),
  );
  return page.Items?.[0] as Item | undefined;
}

/**
 * Items of one time-index partition whose index sort key (`<13-digit ms>#<id>`) falls in [from, to):
 * `<to>` alone sorts before every `<to>#<id>`, so BETWEEN excludes the end.
 */
export async function queryTimeIndex<T = Item>(
  ctx: TableContext,
  partition: string,
  fromMs: number,
  toMs: number,
  map: (item: Item) => T = (item) => item as T,
): Promise<T[]> {
  const range = storableRange(fromMs, toMs);
  if (!range) return [];
  return queryAllMapped(
    ctx,
    {
      IndexName: TIME_INDEX,
      KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :lo AND :hi',
      ExpressionAttributeNames: { '#pk': TIME_INDEX_PARTITION_KEY, '#sk': TIME_INDEX_SORT_KEY },
      ExpressionAttributeValues: {
        ':pk': partition,
        ':lo': sortableMs(range.fromMs),
        ':hi': sortableMs(range.toMs),
      },
    },
    map,
  );
}

/**
 * The days (yyyy-mm-dd) listed in a day-marker partition that [from, to) touches: entities kept by day write a
 * marker per day, so an open range reads only days that hold data.
 */
export async function markedDays(
  ctx: TableContext,
  markerPartition: string,
  fromMs: number,
  toMs: number,
): Promise<string[]> {
  const range = storableRange(fromMs, toMs);
  if (!range) return [];
  const items = await queryBetween(ctx, markerPartition, utcDate(range.fromMs), utcDate(range.toMs - 1));
  return items.map((item) => String(item[SORT_KEY]));
}

export async function getItem(ctx: TableContext, key: Item): Promise<Item | undefined> {
  const out = await withThrottleRetry(ctx.retry, () =>
    ctx.client.send(new GetCommand({ TableName: ctx.tableName, Key: key, ConsistentRead: true })),
  );
  return out.Item as Item | undefined;
}

/** BatchGetItem takes at most 100 keys per call. */
const BATCH_GET_LIMIT = 100;

/**
 * The items held under the given keys, read strongly consistent as `getItem` reads, 100 keys per BatchGetItem
 * call; UnprocessedKeys and throttled calls are retried with full-jitter backoff, and keys still unread after
 * the last attempt fail the call (an item left out would read as absent).
 */
export async function batchGetItems(ctx: TableContext, keys: readonly Item[]): Promise<Item[]> {
  const chunks: Item[][] = [];
  for (let i = 0; i < keys.length; i += BATCH_GET_LIMIT) chunks.push(keys.slice(i, i + BATCH_GET_LIMIT));
  const pages = await mapLimit(chunks, BATCH_CONCURRENCY, async (chunk) => {
    const found: Item[] = [];
    const left = await untilProcessed(ctx, chunk, async (pending) => {
      const out = await ctx.client.send(
        new BatchGetCommand({ RequestItems: { [ctx.tableName]: { Keys: pending, ConsistentRead: true } } }),
      );
      found.push(...((out.Responses?.[ctx.tableName] ?? []) as Item[]));
      return (out.UnprocessedKeys?.[ctx.tableName]?.Keys ?? []) as Item[];
    });
    if (left.length > 0)
      throw new Error(
        `${left.length} of ${keys.length} items were still unread after ${ctx.retry.attempts} attempts`,
      );
    return found;
  });
  return pages.flat();
}

/** Writes an item only when its key is free: 'exists' when an item already holds it. */
export async function putIfAbsent(ctx: TableContext, item: Item): Promise<'created' | 'exists'> {
  try {
    await withThrottleRetry(ctx.retry, () =>
      ctx.client.send(
        new PutCommand({
          TableName: ctx.tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PARTITION_KEY },
        }),
      ),
    );
    return 'created';
  } catch (error) {
    if (isConditionFailed(error)) return 'exists';
    throw error;
  }
}

export type WriteRequest = { PutRequest: { Item: Item } } | { DeleteRequest: { Key: Item } };

function requestKey(request: WriteRequest): string {
  const key = 'PutRequest' in request ? request.PutRequest.Item : request.DeleteRequest.Key;
  return JSON.stringify([key[PARTITION_KEY], key[SORT_KEY]]);
}

/**
 * Writes puts and deletes 25 per BatchWriteItem call. A key given twice keeps its last request (DynamoDB
 * refuses a batch that names a key twice, and a redelivered event often arrives in the same batch).
 * UnprocessedItems and throttled calls are retried with full-jitter backoff; after the last attempt the
 * error says how many items were left.
 */
export async function batchWrite(ctx: TableContext, requests: readonly WriteRequest[]): Promise<void> {
  const byKey = new Map<string, WriteRequest>();
  for (const r of requests) {
    const k = requestKey(r);
    byKey.delete(k);
    byKey.set(k, r);
  }
  const unique = [...byKey.values()];
  const chunks: WriteRequest[][] = [];
  for (let i = 0; i < unique.length; i += BATCH_WRITE_LIMIT)
    chunks.push(unique.slice(i, i + BATCH_WRITE_LIMIT));
  const left = await mapLimit(chunks, BATCH_CONCURRENCY, (chunk) => writeChunk(ctx, chunk));
  const leftCount = left.reduce((a, b) => a + b, 0);
  if (leftCount > 0) throw new BatchWriteIncompleteError(leftCount, unique.length, ctx.retry.attempts);
}

/**
 * Runs a batch call on what is still pending until nothing is or the attempts run out, backing off before each
 * retry; throttling counts as an attempt that processed nothing. Returns what was left unprocessed.
 */
async function untilProcessed<T>(
  ctx: TableContext,
  chunk: T[],
  call: (pending: T[]) => Promise<T[]>,
): Promise<T[]> {
  let pending = chunk;
  for (let attempt = 0; attempt < ctx.retry.attempts; attempt++) {
    if (attempt > 0) await sleep(backoffMs(ctx.retry, attempt - 1));
    try {
      pending = await call(pending);
    } catch (error) {
      if (!isThrottling(error)) throw error;
    }
    if (pending.length === 0) return [];
  }
  return pending;
}

/** Writes one chunk until done or out of attempts; returns how many requests were left unwritten. */
async function writeChunk(ctx: TableContext, chunk: WriteRequest[]): Promise<number> {
  const left = await untilProcessed(ctx, chunk, async (pending) => {
    const out = await ctx.client.send(new BatchWriteCommand({ RequestItems: { [ctx.tableName]: pending } }));
    return (out.UnprocessedItems?.[ctx.tableName] ?? []) as WriteRequest[];
  });
  return left.length;
}

/** Above this the payload is stored gzipped: DynamoDB items stop at 400 KB, and keys and names need room. */
const PACK_THRESHOLD_BYTES = 300_000;

/**
 * Rollups are the one entity written every 5 minutes per node and read only by code: above this they are
 * gzipped, which takes an 8-GPU window (~2.9 KB of JSON, 3 write units) to ~600 B (1 write unit).
 */
export const ROLLUP_PACK_THRESHOLD_BYTES = 1024;

/**
 * The stored payload of an entity: a map in `data` (readable in the console), or gzipped JSON in `dataGz`
 * when the map would come near the 400 KB item limit (a long plan or forecast).
 */
export function packData(wire: unknown, thresholdBytes = PACK_THRESHOLD_BYTES): Item {
  const json = JSON.stringify(wire);
  if (Buffer.byteLength(json) <= thresholdBytes) return { data: JSON.parse(json) };
  return { dataGz: new Uint8Array(gzipSync(json)) };
}

/** The JSON value of a stored form: drops undefined fields, which DynamoDB marshalling refuses. */
export function plain(wire: unknown): unknown {
  return wire === undefined ? undefined : JSON.parse(JSON.stringify(wire));
}

export function unpackData(item: Item): unknown {
  if (item.dataGz instanceof Uint8Array) return JSON.parse(gunzipSync(item.dataGz).toString('utf8'));
  return item.data;
}

/** A name for an item in error messages: which stored item failed to decode. */
export function itemName(item: Item): string {
  return `stored item ${String(item[PARTITION_KEY])} / ${String(item[SORT_KEY])}`;
}

/** The entity an item holds, validated; a stored item that no longer fits its schema is reported by key. */
export function decodeItem<S extends z.ZodType>(schema: S, item: Item): z.output<S> {
  return decodeEntity(schema, unpackData(item), itemName(item));
}
