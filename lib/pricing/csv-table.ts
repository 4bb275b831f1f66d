// A CSV file with a header as records keyed by column, each with its line number, and the way back to text.
import { csvCell, parseCsv } from '../format/csv.ts';

export interface CsvRecord {
  /** 1-based line in the file (the header is line 1). */
  line: number;
  cells: Record<string, string>;
}

export interface CsvTable {
  header: string[];
  records: CsvRecord[];
  /** Lines that could not become a record, and why. */
  problems: { line: number; reason: string }[];
}

export function parseCsvTable(text: string): CsvTable {
  const [head, ...rest] = parseCsv(text);
  const header = (head?.cells ?? []).map((h) => h.trim());
  const records: CsvRecord[] = [];
  const problems: CsvTable['problems'] = [];
  for (const row of rest) {
    if (row.cells.length !== header.length) {
      problems.push({
        line: row.line,
        reason: `has ${row.cells.length} cells, the header has ${header.length}`,
      });
      continue;
    }
    const record: Record<string, string> = {};
    header.forEach((name, k) => (record[name] = row.cells[k]!));
    records.push({ line: row.line, cells: record });
  }
  return { header, records, problems };
}

export function renderCsvTable<C extends string>(
  columns: readonly C[],
  rows: readonly Record<C, string>[],
): string {
  const lines = [columns.join(',')];
  for (const row of rows) lines.push(columns.map((c) => csvCell(row[c])).join(','));
  return `${lines.join('\n')}\n`;
}
