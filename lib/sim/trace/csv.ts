// Splitting one CSV line into cells (RFC 4180 quoting within a line), so the reader can name a column.

/** A cell and the 1-based column it sits in. */
export interface CsvCell {
  text: string;
  column: number;
}

/**
 * Splits a line on commas, honouring double quotes ("" is a quote inside a quoted cell). A quoted cell that
 * spans lines is not supported: trace files hold numbers, times and identifiers, never line breaks.
 */
export function splitCsvLine(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      cells.push(cell);
      cell = '';
    } else cell += ch;
  }
  cells.push(cell);
  return cells;
}

/** Quotes a cell only when it must be (a comma, a quote or a line break in it). */
export function csvCell(value: string | number): string {
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
