// The notify run's memory in the table: fingerprints posted, Slack threads, quiet events for the digest, and the outbox of undelivered messages (keys in KEYS.md).
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { DAY_MS, utcDate } from '../domain/time.ts';
import { zOutboxMessage, zQuietEvent, type OutboxMessage } from '../domain/notify.ts';
import type { NotifyState } from '../domain/ports.ts';
import { encodeEntity } from './codec.ts';
import {
  batchWrite,
  DEFAULT_RETRY,
  decodeItem,
  getItem,
  packData,
  putIfAbsent,
  queryAll,
  queryBetween,
  queryPartition,
  withThrottleRetry,
  type TableContext,
} from './io.ts';
import { PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE, sortableMs } from './table.ts';

const SEEN_PK = 'NOTIFY_SEEN';
const THREAD_PK = 'NOTIFY_THREAD';
const QUIET_PK = (day: string) => `NOTIFY_QUIET#${day}`;
const QUIET_DAYS_PK = 'NOTIFY_QUIET_DAYS';
const DIGEST_SENT_PK = 'NOTIFY_DIGEST_SENT';
const OUTBOX_PK = 'OUTBOX';

/** A thread is replied in for a month; after that a subject starts a new one. */
const THREAD_TTL_MS = 30 * DAY_MS;
/** Quiet events and digest markers outlive any digest that could still be due. */
const QUIET_TTL_MS = 35 * DAY_MS;
/** An alert Slack has not taken in two weeks is stale news: it expires rather than arriving as a surprise. */
export const OUTBOX_TTL_MS = 14 * DAY_MS;

const ttl = (ms: number) => ({ [TTL_ATTRIBUTE]: Math.floor(ms / 1000) });
const outboxKey = (m: Pick<OutboxMessage, 'queuedAt' | 'id'>) => ({
  [PARTITION_KEY]: OUTBOX_PK,
  [SORT_KEY]: `${sortableMs(Date.parse(m.queuedAt))}#${m.id}`,
});

export function createNotifyStateRepository(ctx: TableContext): NotifyState {
  const put = (item: Record<string, unknown>) =>
    withThrottleRetry(ctx.retry, () =>
      ctx.client.send(new PutCommand({ TableName: ctx.tableName, Item: item })),
    );

  return {
    async seen(fingerprint, nowMs) {
      const item = await getItem(ctx, { [PARTITION_KEY]: SEEN_PK, [SORT_KEY]: fingerprint });
      // TTL deletes lag by up to days: the stored end of the memory decides.
      return item !== undefined && Number(item.untilMs) > nowMs;
    },

    async remember(fingerprint, untilMs) {
      await put({
        [PARTITION_KEY]: SEEN_PK,
        [SORT_KEY]: fingerprint,
        kind: 'notify-seen',
        untilMs,
        ...ttl(untilMs),
      });
    },

    async thread(threadKey) {
      const item = await getItem(ctx, { [PARTITION_KEY]: THREAD_PK, [SORT_KEY]: threadKey });
      return typeof item?.ts === 'string' ? item.ts : undefined;
    },

    async rememberThread(threadKey, ts, nowMs) {
      await put({
        [PARTITION_KEY]: THREAD_PK,
        [SORT_KEY]: threadKey,
        kind: 'notify-thread',
        ts,
        ...ttl(nowMs + THREAD_TTL_MS),
      });
    },

    async recordQuiet(event) {
      const data = encodeEntity(zQuietEvent, event, `quiet event ${event.fingerprint}`);
      const atMs = Date.parse(event.at);
      const day = utcDate(atMs);
      const expires = ttl(atMs + QUIET_TTL_MS);
      // Keyed by time and fingerprint: a redelivered event rewrites its own item.
      await batchWrite(ctx, [
        {
          PutRequest: {
            Item: {
              [PARTITION_KEY]: QUIET_PK(day),
              [SORT_KEY]: `${sortableMs(atMs)}#${event.fingerprint}`,
              kind: 'notify-quiet',
              ...packData(data),
              ...expires,
            },
          },
        },
        {
          PutRequest: {
            Item: { [PARTITION_KEY]: QUIET_DAYS_PK, [SORT_KEY]: day, kind: 'notify-quiet-day', ...expires },
          },
        },
      ]);
    },

    async digestDaysDue(beforeDay) {
      const [days, sent] = await Promise.all([
        queryBetween(ctx, QUIET_DAYS_PK, '0000-00-00', beforeDay),
        queryPartition(ctx, DIGEST_SENT_PK),
      ]);
      const claimed = new Set(sent.map((i) => String(i[SORT_KEY])));
      return days.map((i) => String(i[SORT_KEY])).filter((d) => d < beforeDay && !claimed.has(d));
    },

    async quietOn(day) {
      const items = await queryPartition(ctx, QUIET_PK(day));
      return items.map((item) => decodeItem(zQuietEvent, item));
    },

    async claimDigest(day, nowMs) {
      const outcome = await putIfAbsent(ctx, {
        [PARTITION_KEY]: DIGEST_SENT_PK,
        [SORT_KEY]: day,
        kind: 'notify-digest',
        claimedAtMs: nowMs,
        ...ttl(nowMs + QUIET_TTL_MS),
      });
      return outcome === 'created';
    },

    outbox: {
      async put(message) {
        const data = encodeEntity(zOutboxMessage, message, `outbox message ${message.id}`);
        await put({
          ...outboxKey(message),
          kind: 'outbox',
          ...packData(data),
          ...ttl(Date.parse(message.queuedAt) + OUTBOX_TTL_MS),
        });
      },

      async oldest(limit) {
        // One page: a run drains a few messages, the rest wait for the next run.
        const page = await withThrottleRetry(ctx.retry, () =>
          ctx.client.send(
            new QueryCommand({
              TableName: ctx.tableName,
              KeyConditionExpression: '#pk = :pk',
              ExpressionAttributeNames: { '#pk': PARTITION_KEY },
              ExpressionAttributeValues: { ':pk': OUTBOX_PK },
              ConsistentRead: true,
              Limit: limit,
            }),
          ),
        );
        return (page.Items ?? []).map((item) => decodeItem(zOutboxMessage, item) as OutboxMessage);
      },

      async remove(message) {
        await batchWrite(ctx, [{ DeleteRequest: { Key: outboxKey(message) } }]);
      },

      async depth() {
        return (
          await queryAll(ctx, {
            KeyConditionExpression: '#pk = :pk',
            ExpressionAttributeNames: { '#pk': PARTITION_KEY },
            ExpressionAttributeValues: { ':pk': OUTBOX_PK },
            ProjectionExpression: '#pk',
          })
        ).length;
      },
    },
  };
}

/** The notify state over the table, for a door that has only the client and the table's name. */
export function createDynamoNotifyState(options: {
  client: TableContext['client'];
  tableName: string;
  retry?: Partial<TableContext['retry']>;
}): NotifyState {
  return createNotifyStateRepository({
    client: options.client,
    tableName: options.tableName,
    retry: { ...DEFAULT_RETRY, ...options.retry },
  });
}
