// The savings ledger: each entry recorded once under its entryId, listed by time through the time index.
import { zLedgerEntry } from '../domain/ledger.ts';
import type { LedgerRepository } from '../domain/ports.ts';
import { parseRfc3339 } from '../domain/time.ts';
import { encodeEntity } from './codec.ts';
import { decodeItem, packData, putIfAbsent, queryTimeIndex, type TableContext } from './io.ts';
import {
  PARTITION_KEY,
  SORT_KEY,
  TIME_INDEX_PARTITION_KEY,
  TIME_INDEX_SORT_KEY,
  sortableMs,
} from './table.ts';

/** One index partition for the ledger: a few entries per run, far below a partition's limits. */
const LEDGER_INDEX_PK = 'LEDGER';

export function createLedgerRepository(ctx: TableContext): LedgerRepository {
  return {
    async record(entry) {
      const data = encodeEntity(zLedgerEntry, entry, `ledger entry ${entry.entryId}`);
      return putIfAbsent(ctx, {
        [PARTITION_KEY]: `LEDGER#${entry.entryId}`,
        [SORT_KEY]: 'ENTRY',
        [TIME_INDEX_PARTITION_KEY]: LEDGER_INDEX_PK,
        [TIME_INDEX_SORT_KEY]: `${sortableMs(parseRfc3339(entry.at))}#${entry.entryId}`,
        kind: 'ledger',
        ...packData(data),
      });
    },

    async between(fromMs, toMs) {
      const items = await queryTimeIndex(ctx, LEDGER_INDEX_PK, fromMs, toMs);
      return items.map((item) => decodeItem(zLedgerEntry, item));
    },
  };
}
