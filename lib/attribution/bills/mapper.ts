// What every bill format provides: a check of the file's columns and a map from one source line to FOCUS rows.
import type { BillFormat, BillRowDraft } from './bill-row.ts';
import type { Cells, LineAmount } from './fields.ts';

export interface ColumnCheck {
  /** The file cannot be read in this format at all (every line is rejected with this reason). */
  fatal?: string;
  warnings?: string[];
}

export interface BillMapper {
  format: BillFormat;
  /** Called once with the first record's column names. */
  start(columns: readonly string[]): ColumnCheck;
  /** The line's billed amount in its own currency, as the file states it (read apart from map, so a line
   * refused for any reason still counts in the file's total). */
  amountOf(cells: Cells): LineAmount;
  /** Rows of one line; throws LineRejected with a reason naming the column. */
  map(cells: Cells): BillRowDraft[];
  /** Records as read → the fields the mapper looks up (BigQuery JSON rows are flattened to dotted names). */
  prepare?(fields: Record<string, unknown>): Record<string, unknown>;
}
