// Window rollups: one item per (node, window, event id), read by node or by time across nodes.
import type { RollupRepository } from '../domain/ports.ts';
import { DAY_MS, parseRfc3339, utcDate } from '../domain/time.ts';
import { zWindowRollup, type WindowRollup } from '../domain/usage.ts';
import { encodeEntity } from './codec.ts';
import {
  batchWrite,
  decodeItem,
  mapLimit,
  packData,
  ROLLUP_PACK_THRESHOLD_BYTES,
  queryBetween,
  queryTimeIndex,
  type Item,
  type TableContext,
} from './io.ts';
import {
  PARTITION_KEY,
  SORT_KEY,
  TIME_INDEX_PARTITION_KEY,
  TIME_INDEX_SORT_KEY,
  TTL_ATTRIBUTE,
  sortableMs,
  storableRange,
} from './table.ts';

/** Raw rollups live 35 days: past the 30-day look-back of forecasting and the monthly attribution close. */
export const ROLLUP_TTL_SECONDS = 35 * 86_400;
/** Day partitions queried at once by `between`. */
const DAY_QUERY_CONCURRENCY = 4;
/** The partition listing the UTC days that hold rollups, so `between` queries only days with data. */
const ROLLUP_DAYS_PK = 'ROLLUP_DAYS';

const nodePartition = (nodeId: string) => `NODE#${nodeId}`;
const dayPartition = (day: string) => `ROLLUPS#${day}`;

export function rollupKeys(rollup: Pick<WindowRollup, 'node' | 'windowStart' | 'eventId'>): Item {
  const ms = parseRfc3339(rollup.windowStart);
  return {
    [PARTITION_KEY]: nodePartition(rollup.node.nodeId),
    [SORT_KEY]: `ROLLUP#${sortableMs(ms)}#${rollup.eventId}`,
    [TIME_INDEX_PARTITION_KEY]: dayPartition(utcDate(ms)),
    [TIME_INDEX_SORT_KEY]: `${sortableMs(ms)}#${rollup.node.nodeId}#${rollup.eventId}`,
  };
}

const decode = (item: Item): WindowRollup => decodeItem(zWindowRollup, item);

export function createRollupRepository(ctx: TableContext): RollupRepository {
  return {
    async put(rollups) {
      const days = new Set<string>();
      const requests = rollups.map((rollup) => {
        const data = encodeEntity(zWindowRollup, rollup, `rollup of node ${rollup.node?.nodeId}`);
        const ms = parseRfc3339(rollup.windowStart);
        days.add(utcDate(ms));
        const item = {
          ...rollupKeys(rollup),
          kind: 'rollup',
          [TTL_ATTRIBUTE]: Math.floor(ms / 1000) + ROLLUP_TTL_SECONDS,
          ...packData(data, ROLLUP_PACK_THRESHOLD_BYTES),
        };
        return { PutRequest: { Item: item } };
      });
      // A day's marker expires with the day's last possible window, never before a rollup it points to.
      const markers = [...days].map((day) => ({
        PutRequest: {
          Item: {
            [PARTITION_KEY]: ROLLUP_DAYS_PK,
            [SORT_KEY]: day,
            kind: 'rollup-day',
            [TTL_ATTRIBUTE]: (Date.parse(`${day}T00:00:00Z`) + DAY_MS) / 1000 + ROLLUP_TTL_SECONDS,
          },
        },
      }));
      await batchWrite(ctx, [...requests, ...markers]);
    },

    async forNode(nodeId, fromMs, toMs) {
      const range = storableRange(fromMs, toMs);
      if (!range) return [];
      // `ROLLUP#<to>` sorts before every `ROLLUP#<to>#<event>`, so BETWEEN gives exactly [from, to).
      const items = await queryBetween(
        ctx,
        nodePartition(nodeId),
        `ROLLUP#${sortableMs(range.fromMs)}`,
        `ROLLUP#${sortableMs(range.toMs)}`,
      );
      return items.map(decode);
    },

    async between(fromMs, toMs) {
      const range = storableRange(fromMs, toMs);
      if (!range) return [];
      const days = (
        await queryBetween(ctx, ROLLUP_DAYS_PK, utcDate(range.fromMs), utcDate(range.toMs - 1))
      ).map((item) => String(item[SORT_KEY]));
      const perDay = await mapLimit(days, DAY_QUERY_CONCURRENCY, (day) =>
        queryTimeIndex(ctx, dayPartition(day), range.fromMs, range.toMs, decode),
      );
      return perDay.flat();
    },
  };
}
