// The outcome of importing one bill file; the bill row itself is a domain contract (lib/domain/bill.ts).

export {
  BILL_FORMATS,
  zBillRow,
  type BillFormat,
  type BillRow,
  type BillRowWire,
} from '../../domain/bill.ts';
import type { BillFormat, BillRow } from '../../domain/bill.ts';

export interface RejectedLine {
  line: number;
  reason: string;
  /** What the line bills, in micro-units of `currency`, when that much could be read: totals still account for it. */
  billedCost?: bigint;
  currency?: string;
}

export interface BillImport {
  format: BillFormat;
  rows: BillRow[];
  rejected: RejectedLine[];
  /** About the whole file (a missing currency column taken as USD, say). */
  warnings: string[];
  /** Source lines read (every one is imported or rejected). */
  linesRead: number;
  /** Per currency: the file's total = imported + refused, to the micro-unit (see import.ts Balances). */
  balance: BillBalance[];
}

export interface BillBalance {
  currency: string;
  /** Micro-units of `currency`: the exact sum of every readable line's amount, rounded half-even once. */
  fileTotal: bigint;
  imported: bigint;
  refused: bigint;
  /** Lines whose amount could not be read (a broken row, a cell that is not a number). */
  unreadableLines: number;
  /** imported + refused = the file's total, exactly. */
  balanced: boolean;
}

/** A row as a mapper makes it: no lineId yet, and money still exact, in fine units (see fields.ts billMoney). */
export type BillRowDraft = Omit<BillRow, 'lineId'>;

/** Thrown by a mapper for a line it cannot import; the reason names the column. */
export class LineRejected extends Error {
  constructor(
    reason: string,
    readonly billedCost?: bigint,
    readonly currency?: string,
  ) {
    super(reason);
    this.name = 'LineRejected';
  }
}
