// The import-bill run: a new cost export landed; import it once, reconcile its days with attribution, alert on variance.
import { createHash } from 'node:crypto';
import { billTotals, importBill, type BillTotals } from '../attribution/bills/import.ts';
import type { BillFormat, BillRow } from '../attribution/bills/bill-row.ts';
import type { Chunks } from '../attribution/bills/reader.ts';
import type { BillRepository, PutExportOutcome } from '../attribution/bills/repository.ts';
import { budgetAlerts, reconcile, type Reconciliation } from '../attribution/reconcile.ts';
import type { Clock, EventSink, ObjectLocation, ObjectReader, Store } from '../domain/ports.ts';
import { DAY_MS, dayStart, parseRfc3339, toRfc3339 } from '../domain/time.ts';

export type { ObjectLocation, ObjectReader } from '../domain/ports.ts';

/** An ObjectReader over objects held in memory (tests, the CLI's local files). */
export function createMemoryObjectReader(objects: Record<string, string | Uint8Array>): ObjectReader {
  return {
    async read({ bucket, key }) {
      const body = objects[`${bucket}/${key}`];
      if (body === undefined) throw new Error(`no object s3://${bucket}/${key}`);
      return [body];
    },
  };
}

export interface ImportBillPorts {
  store: Store;
  bills: BillRepository;
  events: EventSink;
  clock: Clock;
  objects: ObjectReader;
  log?: (entry: Record<string, unknown>) => void;
}

export interface ImportBillRequest extends ObjectLocation {
  /** A day and account whose variance is above this share of its bill raises a Budget Alert. */
  thresholdPct?: number;
  format?: BillFormat;
}

export interface ImportBillResult {
  exportKey: string;
  outcome: PutExportOutcome;
  format: BillFormat;
  rows: number;
  rejected: { line: number; reason: string }[];
  warnings: string[];
  totals: BillTotals;
  /** Absent when the export was already imported with the same content (nothing is reconciled or sent again). */
  reconciliation?: Reconciliation;
  alertsSent: number;
}

export const DEFAULT_THRESHOLD_PCT = 5;

/** Passes chunks through while hashing them: the content decides whether this export was seen before. */
async function* hashing(
  chunks: Chunks,
  hash: ReturnType<typeof createHash>,
): AsyncGenerator<string | Uint8Array> {
  for await (const chunk of chunks) {
    hash.update(chunk);
    yield chunk;
  }
}

export async function runImportBill(
  ports: ImportBillPorts,
  request: ImportBillRequest,
): Promise<ImportBillResult> {
  const exportKey = `${request.bucket}/${request.key}`;
  const hash = createHash('sha256');
  const imported = await importBill(hashing(await ports.objects.read(request), hash), {
    exportKey,
    ...(request.format ? { format: request.format } : {}),
  });
  const contentSha256 = hash.digest('hex');
  const seen = (await ports.bills.exports()).find((e) => e.exportKey === exportKey);
  const result: ImportBillResult = {
    exportKey,
    outcome: seen?.contentSha256 === contentSha256 ? 'unchanged' : seen ? 'replaced' : 'created',
    format: imported.format,
    rows: imported.rows.length,
    rejected: imported.rejected.map(({ line, reason }) => ({ line, reason })),
    warnings: imported.warnings,
    totals: billTotals(imported),
    alertsSent: 0,
  };
  if (result.outcome !== 'unchanged') {
    // Alerts go out before the rows are stored: a failure leaves nothing stored, so the retry alerts again.
    if (imported.rows.length > 0) {
      result.reconciliation = await reconcileDays(ports, imported.rows, exportKey, request.thresholdPct);
      const alerts = budgetAlerts(result.reconciliation);
      if (alerts.length > 0) {
        const { failed } = await ports.events.put(alerts);
        if (failed.length > 0)
          throw new Error(`${failed.length} Budget Alert events were refused: ${failed[0]!.error}`);
      }
      result.alertsSent = alerts.length;
    }
    result.outcome = await ports.bills.putExport(
      {
        exportKey,
        contentSha256,
        importedAt: toRfc3339(ports.clock.now()),
        rows: imported.rows.length,
        rejected: imported.rejected.length,
      },
      imported.rows,
    );
  }
  (ports.log ?? ((e) => console.log(JSON.stringify(e))))({
    level: imported.rejected.length ? 'warn' : 'info',
    msg: 'import-bill run',
    exportKey,
    outcome: result.outcome,
    format: imported.format,
    rows: result.rows,
    rejected: result.rejected.length,
    alertsSent: result.alertsSent,
  });
  return result;
}

/** The days the export covers, reconciled with every export's rows of those days (this export's new version in). */
async function reconcileDays(
  ports: ImportBillPorts,
  rows: readonly BillRow[],
  exportKey: string,
  thresholdPct = DEFAULT_THRESHOLD_PCT,
): Promise<Reconciliation> {
  const starts = rows.map((r) => parseRfc3339(r.ChargePeriodStart));
  const fromMs = dayStart(starts.reduce((a, b) => Math.min(a, b)));
  const toMs = dayStart(starts.reduce((a, b) => Math.max(a, b))) + DAY_MS;
  const [attribution, stored] = await Promise.all([
    ports.store.attribution.between(fromMs, toMs),
    ports.bills.rowsBetween(fromMs, toMs),
  ]);
  const others = stored.filter((r) => !r.lineId.startsWith(`${exportKey}#`));
  return reconcile({ attribution, bill: [...others, ...rows], fromMs, toMs, thresholdPct });
}
