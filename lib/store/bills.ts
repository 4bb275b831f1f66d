// Imported bills: each export's rows gzipped in chunks under the days they charge, its identity and content hash beside them.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { zBillRow, type BillRow } from '../attribution/bills/bill-row.ts';
import type { BillRepository, StoredExport } from '../attribution/bills/repository.ts';
import { zCount, zTimestamp } from '../domain/fields.ts';
import { parseRfc3339, utcDate } from '../domain/time.ts';
import { encodeEntity } from './codec.ts';
import {
  batchWrite,
  decodeItem,
  getItem,
  mapLimit,
  markedDays,
  packData,
  queryPartition,
  type Item,
  type TableContext,
  type WriteRequest,
} from './io.ts';
import { PARTITION_KEY, SORT_KEY, storableRange } from './table.ts';

/** Every export's metadata, one partition: a month's exports number in the tens, listed whole by each import. */
const EXPORTS_PK = 'BILL_EXPORTS';
/** Which row chunks each export's stored version spans (day → chunk count), so a rewrite deletes exactly its own. */
const LAYOUTS_PK = 'BILL_LAYOUTS';
/** The UTC days that hold bill rows, so `rowsBetween` over an open range touches only days with data. */
const BILL_DAYS_PK = 'BILL_DAYS';
const dayPartition = (day: string) => `BILL#${day}`;
const DAY_QUERY_CONCURRENCY = 4;

/**
 * Rows go into one item per (day, export, chunk) as gzipped JSON: bill rows are only ever read by the day, and
 * a chunk of a few hundred rows costs tens of write units instead of one per row. The cap is on the JSON before
 * gzip, so an item stays under DynamoDB's 400 KB even if nothing compresses.
 */
export const BILL_CHUNK_MAX_JSON_BYTES = 300_000;

const zBillChunk = z.array(zBillRow);

export const zStoredExport = z.object({
  exportKey: z.string().min(1),
  contentSha256: z.string().min(1),
  importedAt: zTimestamp,
  rows: zCount,
  rejected: zCount,
});

/** Day (yyyy-mm-dd) → number of chunks an export's version stored under it. */
type Layout = Record<string, number>;

/**
 * The export's identity in keys: a hash of its key, since an S3 key (up to 1 KB) plus its bucket could pass the
 * sort key's 1 KB limit; the export key itself is kept in the metadata.
 */
export function exportIdOf(exportKey: string): string {
  return createHash('sha256').update(exportKey).digest('hex').slice(0, 32);
}

const chunkSortKey = (exportId: string, chunk: number) => `${exportId}#${String(chunk).padStart(6, '0')}`;

/** An export's rows by the UTC day of their ChargePeriodStart, each day cut into chunks below the size cap. */
function chunksByDay(rows: readonly BillRow[], exportKey: string): Map<string, unknown[][]> {
  const byDay = new Map<string, { chunks: unknown[][]; bytes: number }>();
  rows.forEach((row, i) => {
    const day = utcDate(parseRfc3339(row.ChargePeriodStart));
    const wire = encodeEntity(zBillRow, row, `bill row ${i} of ${exportKey}`);
    const bytes = Buffer.byteLength(JSON.stringify(wire)) + 1;
    let entry = byDay.get(day);
    if (!entry) byDay.set(day, (entry = { chunks: [[]], bytes: 0 }));
    if (entry.bytes + bytes > BILL_CHUNK_MAX_JSON_BYTES && entry.chunks.at(-1)!.length > 0) {
      entry.chunks.push([]);
      entry.bytes = 0;
    }
    entry.chunks.at(-1)!.push(wire);
    entry.bytes += bytes;
  });
  return new Map([...byDay].map(([day, { chunks }]) => [day, chunks]));
}

function layoutItem(exportId: string, layout: Layout): Item {
  return { [PARTITION_KEY]: LAYOUTS_PK, [SORT_KEY]: exportId, kind: 'bill-layout', chunks: layout };
}

export function createBillRepository(ctx: TableContext): BillRepository {
  const put = (item: Item) => batchWrite(ctx, [{ PutRequest: { Item: item } }]);

  return {
    async putExport(meta, rows) {
      const stored = encodeEntity(zStoredExport, meta, `bill export ${meta.exportKey}`);
      const exportId = exportIdOf(meta.exportKey);
      const have = await getItem(ctx, { [PARTITION_KEY]: EXPORTS_PK, [SORT_KEY]: exportId });
      const haveMeta = have ? decodeItem(zStoredExport, have) : undefined;
      if (haveMeta?.contentSha256 === meta.contentSha256) return 'unchanged';

      const chunks = chunksByDay(rows, meta.exportKey);
      const layout: Layout = Object.fromEntries([...chunks].map(([day, c]) => [day, c.length]));
      const layoutKey = { [PARTITION_KEY]: LAYOUTS_PK, [SORT_KEY]: exportId };
      const before = ((await getItem(ctx, layoutKey))?.chunks ?? {}) as Layout;
      // Recorded before any row is written: a write cut short leaves chunks the next attempt knows to delete.
      const spanned: Layout = { ...before };
      for (const [day, count] of Object.entries(layout)) spanned[day] = Math.max(spanned[day] ?? 0, count);
      await put(layoutItem(exportId, spanned));

      const writes: WriteRequest[] = [];
      for (const [day, dayChunks] of chunks) {
        dayChunks.forEach((chunk, i) =>
          writes.push({
            PutRequest: {
              Item: {
                [PARTITION_KEY]: dayPartition(day),
                [SORT_KEY]: chunkSortKey(exportId, i),
                kind: 'bill-rows',
                exportId,
                rows: chunk.length,
                // Always gzipped: bill rows are read only by code, and JSON rows compress about tenfold.
                ...packData(chunk, 0),
              },
            },
          }),
        );
        writes.push({
          PutRequest: { Item: { [PARTITION_KEY]: BILL_DAYS_PK, [SORT_KEY]: day, kind: 'bill-day' } },
        });
      }
      for (const [day, count] of Object.entries(spanned))
        for (let i = layout[day] ?? 0; i < count; i++)
          writes.push({
            DeleteRequest: {
              Key: { [PARTITION_KEY]: dayPartition(day), [SORT_KEY]: chunkSortKey(exportId, i) },
            },
          });
      await batchWrite(ctx, writes);
      await put(layoutItem(exportId, layout));
      // The metadata goes last: until it is written, the same file again is not taken for one already imported.
      await put({ [PARTITION_KEY]: EXPORTS_PK, [SORT_KEY]: exportId, kind: 'bill-export', data: stored });
      return haveMeta ? 'replaced' : 'created';
    },

    async rowsBetween(fromMs, toMs) {
      const range = storableRange(fromMs, toMs);
      if (!range) return [];
      const days = await markedDays(ctx, BILL_DAYS_PK, range.fromMs, range.toMs);
      const perDay = await mapLimit(days, DAY_QUERY_CONCURRENCY, (day) =>
        queryPartition(ctx, dayPartition(day)),
      );
      return perDay
        .flat()
        .flatMap((item): BillRow[] => decodeItem(zBillChunk, item))
        .filter((row) => {
          const startMs = parseRfc3339(row.ChargePeriodStart);
          return startMs >= range.fromMs && startMs < range.toMs;
        });
    },

    async exports(): Promise<StoredExport[]> {
      const items = await queryPartition(ctx, EXPORTS_PK);
      return items.map((item) => decodeItem(zStoredExport, item));
    },
  };
}
