// Where imported bills are kept: rows per export file, written once per content so a re-import changes nothing.
import { parseRfc3339 } from '../../domain/time.ts';
import type { BillRow } from '../../domain/bill.ts';

export type { BillRepository, PutExportOutcome, StoredExport } from '../../domain/ports.ts';
import type { BillRepository, StoredExport } from '../../domain/ports.ts';

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
