// Where imported bills are kept: rows per export file, written once per content so a re-import changes nothing.
// The Store port has no place for bill rows (attribution.putHour replaces an hour's rows); this port is proposed for it.
import { parseRfc3339 } from '../../domain/time.ts';
import type { BillRow } from './bill-row.ts';

export interface StoredExport {
  /** Where the export came from (bucket/key, or a file name). */
  exportKey: string;
  contentSha256: string;
  importedAt: string;
  rows: number;
  rejected: number;
}

export type PutExportOutcome = 'created' | 'replaced' | 'unchanged';

export interface BillRepository {
  /**
   * Keeps an export's rows under its key. The same content again changes nothing ('unchanged'); new content under
   * the same key (a provider rewriting the month's file) replaces that export's rows, never another's.
   */
  putExport(meta: StoredExport, rows: readonly BillRow[]): Promise<PutExportOutcome>;
  /** Rows of every export with ChargePeriodStart in [fromMs, toMs). */
  rowsBetween(fromMs: number, toMs: number): Promise<BillRow[]>;
  exports(): Promise<StoredExport[]>;
}

/** In memory, for tests, the CLI and `simulate`. */
export function createMemoryBillRepository(): BillRepository {
  const stored = new Map<string, { meta: StoredExport; rows: readonly BillRow[] }>();
  return {
    async putExport(meta, rows) {
      const have = stored.get(meta.exportKey);
      if (have?.meta.contentSha256 === meta.contentSha256) return 'unchanged';
      stored.set(meta.exportKey, { meta, rows: [...rows] });
      return have ? 'replaced' : 'created';
    },
    async rowsBetween(fromMs, toMs) {
      return [...stored.values()]
        .flatMap((e) => e.rows)
        .filter((r) => {
          const ms = parseRfc3339(r.ChargePeriodStart);
          return ms >= fromMs && ms < toMs;
        });
    },
    async exports() {
      return [...stored.values()].map((e) => e.meta);
    },
  };
}
