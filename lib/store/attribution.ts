// Attribution rows: an hour's rows under (day, hour, position) keys; writing an hour again replaces it.
import { zAttributionRow, type AttributionRow } from '../domain/attribution.ts';
import type { AttributionRepository } from '../domain/ports.ts';
import { HOUR_MS, parseRfc3339, utcDate } from '../domain/time.ts';
import { encodeEntity } from './codec.ts';
import {
  batchWrite,
  decodeItem,
  mapLimit,
  packData,
  queryBetween,
  type TableContext,
  type WriteRequest,
} from './io.ts';
import { checkAttributionHour } from './rules.ts';
import { PARTITION_KEY, SORT_KEY, sortableMs, storableRange } from './table.ts';

/** The partition listing the UTC days that hold attribution, so `between` queries only days with rows. */
const ATTRIBUTION_DAYS_PK = 'ATTRIBUTION_DAYS';
const DAY_QUERY_CONCURRENCY = 4;
const dayPartition = (day: string) => `ATTRIBUTION#${day}`;
/** Six digits of position: up to a million rows in one hour. */
const rowSortKey = (hourStartMs: number, position: number) =>
  `${sortableMs(hourStartMs)}#${String(position).padStart(6, '0')}`;

export function createAttributionRepository(ctx: TableContext): AttributionRepository {
  return {
    async putHour(hourStartMs, rows) {
      checkAttributionHour(hourStartMs, rows);
      const day = utcDate(hourStartMs);
      const hourKey = sortableMs(hourStartMs);
      const puts: WriteRequest[] = rows.map((row, i) => ({
        PutRequest: {
          Item: {
            [PARTITION_KEY]: dayPartition(day),
            [SORT_KEY]: rowSortKey(hourStartMs, i),
            kind: 'attribution',
            ...packData(encodeEntity(zAttributionRow, row, `attribution row ${i}`)),
          },
        },
      }));
      // Rows past the new count are left from an earlier, longer attribution of the hour: delete them.
      const existing = await queryBetween(ctx, dayPartition(day), `${hourKey}#`, `${hourKey}#~`);
      const keep = new Set(puts.map((p) => ('PutRequest' in p ? p.PutRequest.Item[SORT_KEY] : '')));
      const deletes: WriteRequest[] = existing
        .filter((item) => !keep.has(item[SORT_KEY]))
        .map((item) => ({
          DeleteRequest: { Key: { [PARTITION_KEY]: item[PARTITION_KEY], [SORT_KEY]: item[SORT_KEY] } },
        }));
      const marker: WriteRequest = {
        PutRequest: {
          Item: { [PARTITION_KEY]: ATTRIBUTION_DAYS_PK, [SORT_KEY]: day, kind: 'attribution-day' },
        },
      };
      await batchWrite(ctx, [...puts, ...deletes, marker]);
    },

    async between(fromMs, toMs) {
      const range = storableRange(fromMs, toMs);
      if (!range) return [];
      const firstHourMs = Math.floor(range.fromMs / HOUR_MS) * HOUR_MS;
      const days = (
        await queryBetween(ctx, ATTRIBUTION_DAYS_PK, utcDate(firstHourMs), utcDate(range.toMs - 1))
      ).map((item) => String(item[SORT_KEY]));
      const perDay = await mapLimit(days, DAY_QUERY_CONCURRENCY, (day) =>
        queryBetween(ctx, dayPartition(day), sortableMs(firstHourMs), sortableMs(range.toMs)),
      );
      // Hours are whole; a range that cuts an hour keeps the rows whose charge period starts inside it.
      return perDay
        .flat()
        .map((item): AttributionRow => decodeItem(zAttributionRow, item))
        .filter((row) => {
          const startMs = parseRfc3339(row.ChargePeriodStart);
          return startMs >= range.fromMs && startMs < range.toMs;
        });
    },
  };
}
