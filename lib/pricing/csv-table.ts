// A CSV file with a header as records keyed by column, each with its line number, and the way back to text.
import { csvCell, splitCsvLine } from '../sim/trace/csv.ts';

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

/** Splits CSV text into rows of cells (RFC 4180: quoted cells may hold commas, "" and line breaks). */
function splitRows(text: string): { line: number; cells: string[] }[] {
  const rows: { line: number; cells: string[] }[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const startLine = i + 1;
    let raw = lines[i]!;
    // Most rows hold no quote: a plain split is all they need.
    if (!raw.includes('"')) {
      if (raw.endsWith('\r')) raw = raw.slice(0, -1);
      if (raw !== '') rows.push({ line: startLine, cells: raw.split(',') });
      continue;
    }
    // A quoted cell may run over line breaks: join lines until the quotes balance.
    while (countQuotes(raw) % 2 === 1 && i + 1 < lines.length) raw += `\n${lines[++i]!}`;
    rows.push({ line: startLine, cells: splitCsvLine(raw.endsWith('\r') ? raw.slice(0, -1) : raw) });
  }
  return rows;
}

function countQuotes(text: string): number {
  let n = 0;
  for (let i = text.indexOf('"'); i !== -1; i = text.indexOf('"', i + 1)) n++;
  return n;
}

export function parseCsvTable(text: string): CsvTable {
  const [head, ...rest] = splitRows(text);
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
