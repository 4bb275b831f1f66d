// `gpu-optimizer reconcile`: a bill export against attributed cost, per day and account, with the variance explained.
import { createReadStream } from 'node:fs';
import { resolve } from 'node:path';
import { readAttributionCsv } from '../../attribution/bills/attribution-csv.ts';
import { BILL_FORMATS, type BillFormat, type BillImport } from '../../attribution/bills/bill-row.ts';
import { balanceLine, billTotals, importBill } from '../../attribution/bills/import.ts';
import { budgetAlerts, reconcile, reconciliationLines } from '../../attribution/reconcile.ts';
import { toWire } from '../../domain/events.ts';
import { formatUsd } from '../../domain/money.ts';
import { createDynamoStore } from '../../store/index.ts';
import { EXIT_OK, numberFlag, stringFlag, UsageError, type Command, timeFlag } from '../command.ts';
import { TABLE_FLAGS, tableClientFromFlags } from '../table-flags.ts';

/** Money as 6-place strings, so the JSON output is exact and readable by the same tools as the CSV. */
function jsonMoney(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? formatUsd(value) : value;
}

export const reconcileCommand: Command = {
  name: 'reconcile',
  summary:
    'Reconcile attributed GPU cost with a cloud bill export (FOCUS, AWS CUR, Azure, GCP), per day and account',
  flags: {
    bill: {
      type: 'string',
      description:
        'The bill export (CSV, or GCP JSON lines); default, with --table: the exports imported there',
      valueName: 'file',
    },
    from: { type: 'string', description: 'Start of the range (RFC 3339, inclusive)', valueName: 'time' },
    to: { type: 'string', description: 'End of the range (RFC 3339, exclusive)', valueName: 'time' },
    attribution: {
      type: 'string',
      description:
        'Attributed cost, as written by `attribution export --format csv`; default: read from --table',
      valueName: 'file',
    },
    ...TABLE_FLAGS,
    format: { type: 'string', description: `Bill format: ${BILL_FORMATS.join(', ')} (default: detected)` },
    'threshold-pct': {
      type: 'string',
      default: '5',
      description: 'Flag a day and account whose variance is above this % of its bill',
      valueName: 'pct',
    },
    json: { type: 'boolean', description: 'Print the reconciliation and its Budget Alert events as JSON' },
  },
  details: [
    'The variance (bill − attributed) of each day and account is split into unattributed resources, unused',
    'commitments, usage and price differences, credits, tax, adjustments, purchases and attributed-but-not-billed;',
    'the parts always sum to it. Bill amounts are rounded half-to-even to the micro-dollar, cumulatively per file.',
    '',
    'Example:',
    '  gpu-optimizer reconcile --bill focus-2026-03.csv --attribution attribution.csv \\',
    '    --from 2026-03-01T00:00:00Z --to 2026-04-01T00:00:00Z',
    '  gpu-optimizer reconcile --table gpu-optimizer --from 2026-03-01T00:00:00Z --to 2026-04-01T00:00:00Z',
  ].join('\n'),
  async run({ flags }, io) {
    const billFile = stringFlag(flags, 'bill');
    const attributionFile = stringFlag(flags, 'attribution');
    const useTable = !billFile || !attributionFile;
    if (useTable && !stringFlag(flags, 'table') && !io.env.GPU_OPTIMIZER_TABLE)
      throw new UsageError(
        `--${billFile ? 'attribution' : 'bill'} names the ${billFile ? 'attribution CSV' : 'bill export'} to reconcile, or --table (or GPU_OPTIMIZER_TABLE) the DynamoDB table holding it`,
      );
    const format = stringFlag(flags, 'format');
    if (format !== undefined && !(BILL_FORMATS as readonly string[]).includes(format))
      throw new UsageError(
        `--format must be one of ${BILL_FORMATS.join(', ')}, got ${JSON.stringify(format)}`,
      );
    const fromMs = timeFlag(flags, 'from', true);
    const toMs = timeFlag(flags, 'to', true);
    if (toMs <= fromMs) throw new UsageError('--to must be later than --from');
    const thresholdPct = numberFlag(flags, 'threshold-pct', { min: 0 }) ?? 5;

    const store = useTable ? createDynamoStore(tableClientFromFlags(flags, io)) : undefined;
    const imported: BillImport | undefined = billFile
      ? await importBill(createReadStream(resolve(io.cwd, billFile)), {
          exportKey: billFile,
          ...(format ? { format: format as BillFormat } : {}),
        })
      : undefined;
    // Without a file: the rows of the exports the import-bill function stored, already mapped and checked.
    const billRows = imported ? imported.rows : await store!.bills.rowsBetween(fromMs, toMs);
    const attribution = attributionFile
      ? await readAttributionCsv(createReadStream(resolve(io.cwd, attributionFile)))
      : await store!.attribution.between(fromMs, toMs);
    const result = reconcile({ attribution, bill: billRows, fromMs, toMs, thresholdPct });
    const alerts = budgetAlerts(result);
    if (flags.json) {
      const out = {
        bill: imported
          ? {
              format: imported.format,
              rows: imported.rows.length,
              rejected: imported.rejected,
              warnings: imported.warnings,
              totals: billTotals(imported),
              balance: imported.balance,
            }
          : { source: 'table', rows: billRows.length, totals: billTotals({ rows: billRows, rejected: [] }) },
        reconciliation: result,
        alerts: alerts.map(toWire),
      };
      io.stdout(`${JSON.stringify(out, jsonMoney, 2)}\n`);
      return EXIT_OK;
    }
    if (imported) {
      io.stdout(
        `bill ${billFile}: ${imported.format}, ${imported.rows.length} rows, ${imported.rejected.length} lines rejected\n`,
      );
      for (const r of imported.rejected.slice(0, 10)) io.stdout(`  line ${r.line}: ${r.reason}\n`);
      for (const w of imported.warnings) io.stdout(`  warning: ${w}\n`);
      // The check a person audits the import by: every amount of the file is imported or refused.
      for (const b of imported.balance) io.stdout(`  balance ${balanceLine(b)}\n`);
    } else io.stdout(`bills imported in the table: ${billRows.length} rows in the range\n`);
    for (const line of reconciliationLines(result)) io.stdout(`${line}\n`);
    if (alerts.length) io.stdout(`${alerts.length} day(s) over the ${thresholdPct}% threshold\n`);
    return EXIT_OK;
  },
};
