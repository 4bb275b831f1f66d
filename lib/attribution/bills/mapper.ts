// What every bill format provides: a check of the file's columns and a map from one source line to FOCUS rows.
import type { BillFormat, BillRowDraft } from './bill-row.ts';
import type { Cells } from './fields.ts';

export interface ColumnCheck {
  /** The file cannot be read in this format at all (every line is rejected with this reason). */
  fatal?: string;
  warnings?: string[];
}

export interface BillMapper {
  format: BillFormat;
  /** Called once with the first record's column names. */
  start(columns: readonly string[]): ColumnCheck;
  /** Rows of one line; throws LineRejected with a reason naming the column. */
  map(cells: Cells): BillRowDraft[];
  /** Records as read → the fields the mapper looks up (BigQuery JSON rows are flattened to dotted names). */
  prepare?(fields: Record<string, unknown>): Record<string, unknown>;
}
