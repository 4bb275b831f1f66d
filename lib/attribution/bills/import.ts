// Imports one bill export, streaming: detects its format, maps every line to FOCUS rows or rejects it with a reason.
import { divRoundHalfEven, formatUsd, sumUsd, type MicroUsd } from '../../domain/money.ts';
import { parseRfc3339 } from '../../domain/time.ts';
import { awsCurMapper } from './aws-cur2.ts';
import { azureCostDetailsMapper } from './azure-cost-details.ts';
import {
  LineRejected,
  type BillFormat,
  type BillBalance,
  type BillImport,
  type BillRow,
  type RejectedLine,
} from './bill-row.ts';
import { Cells, englishColumnName, FINE_PER_MICRO, type FineUsd, type LineAmount } from './fields.ts';
import { focusMapper } from './focus.ts';
import { gcpBillingMapper } from './gcp-billing.ts';
import type { BillMapper } from './mapper.ts';
import {
  BillFormatError,
  csvRecords,
  jsonLineRecords,
  peekFirstLine,
  type Chunks,
  type SourceRecord,
} from './reader.ts';

export const MAPPERS: Record<BillFormat, BillMapper> = {
  focus: focusMapper,
  'aws-cur': awsCurMapper,
  'azure-cost-details': azureCostDetailsMapper,
  'gcp-billing': gcpBillingMapper,
};

export interface BillImportOptions {
  /** Names the export in every row's lineId (the S3 key, the file name), so a re-import yields the same ids. */
  exportKey: string;
  /** The format, when the caller knows it; otherwise told from the header. */
  format?: BillFormat;
}

/** Tells the format from the first line: the columns each provider's export is known by. */
export function detectFormat(firstLine: string): BillFormat {
  // Localized headers carry the English column name in parentheses: that name is the key.
  const text = firstLine
    .trim()
    .split(',')
    .map((h) => englishColumnName(h.replace(/^"|"$/g, '').trim()))
    .join(',');
  if (text.startsWith('{')) return 'gcp-billing';
  const header = text.toLowerCase();
  const has = (name: string) => header.includes(name);
  if (has('billedcost') && has('effectivecost')) return 'focus';
  if (has('lineitem/') || has('line_item_')) return 'aws-cur';
  if (has('metercategory') || has('costinbillingcurrency') || has('subscriptionid'))
    return 'azure-cost-details';
  if (has('billing_account_id') || has('service.description')) return 'gcp-billing';
  throw new BillFormatError(
    1,
    'the columns are not those of a FOCUS, AWS CUR, Azure cost details or GCP billing export',
  );
}

/**
 * Rounds a column of exact amounts to micro-dollars so that every running total is the exact running total rounded
 * half-to-even: the file's rows sum to its exact total to the micro-dollar, each row within 1 µ$ of its amount.
 */
class CumulativeRounder {
  private exact: FineUsd = 0n;
  private rounded: MicroUsd = 0n;

  next(amount: FineUsd): MicroUsd {
    this.exact += amount;
    const total = divRoundHalfEven(this.exact, FINE_PER_MICRO);
    const part = total - this.rounded;
    this.rounded = total;
    return part;
  }
}

/**
 * What the file bills per currency, and where each amount went: imported + refused = the file's total, exactly
 * (fine units), for every refusal reason. Lines whose amount cannot be read at all are counted apart.
 */
class Balances {
  private readonly byCurrency = new Map<
    string,
    { file: FineUsd; imported: FineUsd; refused: FineUsd; unreadable: number }
  >();

  add(amount: LineAmount, imported: boolean): void {
    const b = this.byCurrency.get(amount.currency) ?? { file: 0n, imported: 0n, refused: 0n, unreadable: 0 };
    this.byCurrency.set(amount.currency, b);
    if (amount.fine === undefined) {
      b.unreadable++;
      return;
    }
    b.file += amount.fine;
    if (imported) b.imported += amount.fine;
    else b.refused += amount.fine;
  }

  result(): BillBalance[] {
    return [...this.byCurrency.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([currency, b]) => {
        // Each figure is its exact sum rounded once; refused is the rest of the file's total, so the printed
        // figures add up, and `balanced` is the exact check.
        const file = divRoundHalfEven(b.file, FINE_PER_MICRO);
        const imported = divRoundHalfEven(b.imported, FINE_PER_MICRO);
        return {
          currency,
          fileTotal: file,
          imported,
          refused: file - imported,
          unreadableLines: b.unreadable,
          balanced: b.imported + b.refused === b.file,
        };
      });
  }
}

/** The one-line check an import prints per currency. */
export function balanceLine(b: BillBalance): string {
  const unread = b.unreadableLines > 0 ? ` (${b.unreadableLines} lines with no readable amount)` : '';
  return `${b.currency}: file ${formatUsd(b.fileTotal)} = imported ${formatUsd(b.imported)} + refused ${formatUsd(b.refused)} ${b.balanced ? 'balanced' : 'NOT BALANCED'}${unread}`;
}

export async function importBill(chunks: Chunks, options: BillImportOptions): Promise<BillImport> {
  const peeked = await peekFirstLine(chunks);
  const format = options.format ?? detectFormat(peeked.firstLine);
  const mapper = MAPPERS[format];
  const rows: BillRow[] = [];
  const rejected: RejectedLine[] = [];
  const warnings: string[] = [];
  let linesRead = 0;
  const balances = new Balances();
  const onBadRow = (line: number, reason: string) => {
    linesRead++;
    rejected.push({ line, reason });
    balances.add({ currency: '?' }, false);
  };
  const csv = !peeked.firstLine.trim().startsWith('{');
  const records: AsyncIterable<SourceRecord> = !csv
    ? jsonLineRecords(peeked.chunks, onBadRow)
    : csvRecords(peeked.chunks, onBadRow, () => shortRows++);
  const billed = new CumulativeRounder();
  const effective = new CumulativeRounder();
  const list = new CumulativeRounder();
  let shortRows = 0;
  let fatal: string | undefined;
  let started = false;
  for await (const record of records) {
    linesRead++;
    const named = csv ? localizedToEnglish(record.fields) : record.fields;
    const fields = mapper.prepare ? mapper.prepare(named) : named;
    if (!started) {
      started = true;
      const check = mapper.start(Object.keys(fields));
      fatal = check.fatal;
      // A file without the columns its format requires is not imported at all, and says so (exit non-zero).
      if (fatal) throw new BillFormatError(1, `${fatal}; nothing was imported`);
      warnings.push(...(check.warnings ?? []));
    }
    const cells = new Cells(fields);
    const amount = mapper.amountOf(cells);
    try {
      const drafts = mapper.map(cells);
      for (const d of drafts) {
        if (parseRfc3339(d.ChargePeriodEnd) < parseRfc3339(d.ChargePeriodStart))
          throw new LineRejected('ChargePeriodEnd is before ChargePeriodStart');
      }
      drafts.forEach((d, part) =>
        rows.push({
          ...d,
          lineId: `${options.exportKey}#${record.line}${drafts.length > 1 ? `.${part}` : ''}`,
          BilledCost: billed.next(d.BilledCost),
          EffectiveCost: effective.next(d.EffectiveCost),
          ListCost: list.next(d.ListCost),
        }),
      );
      balances.add(amount, true);
    } catch (error) {
      if (!(error instanceof LineRejected)) throw error;
      balances.add(amount, false);
      rejected.push({
        line: record.line,
        reason: error.message,
        ...(error.billedCost !== undefined ? { billedCost: error.billedCost, currency: error.currency } : {}),
      });
    }
  }
  rejected.sort((a, b) => a.line - b.line);
  if (shortRows > 0)
    warnings.push(
      `${shortRows} lines have fewer fields than the header: their missing trailing fields are read as empty`,
    );
  return { format, rows, rejected, warnings, linesRead, balance: balances.result() };
}

function localizedToEnglish(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(fields)) out[englishColumnName(name)] = value;
  return out;
}

export interface BillTotals {
  billedUsd: MicroUsd;
  effectiveUsd: MicroUsd;
  listUsd: MicroUsd;
  /** What rejected lines bill, per currency (micro-units), where the amount could be read. */
  rejectedByCurrency: Record<string, bigint>;
}

/** The totals a person checks an import by: the imported rows' sums, and what the rejected lines carried. */
export function billTotals(
  imported: Pick<BillImport, 'rows' | 'rejected'> & { balance?: BillBalance[] },
): BillTotals {
  const rejectedByCurrency: Record<string, bigint> = {};
  if (imported.balance) {
    // Summed exactly over the refused lines, then rounded once (not line by line).
    for (const b of imported.balance) if (b.refused !== 0n) rejectedByCurrency[b.currency] = b.refused;
  } else {
    for (const r of imported.rejected) {
      if (r.billedCost === undefined || r.currency === undefined) continue;
      rejectedByCurrency[r.currency] = (rejectedByCurrency[r.currency] ?? 0n) + r.billedCost;
    }
  }
  return {
    billedUsd: sumUsd(imported.rows.map((r) => r.BilledCost)),
    effectiveUsd: sumUsd(imported.rows.map((r) => r.EffectiveCost)),
    listUsd: sumUsd(imported.rows.map((r) => r.ListCost)),
    rejectedByCurrency,
  };
}
