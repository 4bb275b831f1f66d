// The one CSV reader and writer: RFC 4180 rows (quotes, CRLF, BOM), bounded and strict on bytes, and cells written safe for spreadsheets.

/** Text or bytes as they arrive from a file, an S3 object or a test; chunk boundaries never change a result. */
export type Chunks = AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>;

/** A row as read: the 1-based line it starts on, and its cells. */
export interface CsvRow {
  line: number;
  cells: string[];
}

/** Bounds that keep a hostile or broken file from taking the process's memory. */
export interface CsvLimits {
  /** Characters in one cell. */
  maxCellChars: number;
  /** Cells in one row. */
  maxCells: number;
}

// A bill's longest real cell is a tag or resource JSON of a few KiB; a MiB is far past any honest one.
export const DEFAULT_CSV_LIMITS: CsvLimits = { maxCellChars: 1 << 20, maxCells: 4096 };

/** A CSV that cannot be read on: says where (1-based line and character column) and what to fix. */
export class CsvError extends Error {
  constructor(
    readonly line: number,
    readonly column: number,
    readonly reason: string,
  ) {
    super(`line ${line}, column ${column}: ${reason}`);
    this.name = 'CsvError';
  }
}

const State = {
  CellStart: 0,
  Unquoted: 1,
  Quoted: 2,
  /** A quote inside a quoted cell: it closes the cell, unless the next character is a second quote. */
  QuoteInQuoted: 3,
} as const;
type State = (typeof State)[keyof typeof State];

const QUOTE = 34;
const COMMA = 44;
const CR = 13;
const LF = 10;

/**
 * A push tokenizer: text goes in piece by piece, complete rows come out. Lines end in LF, CRLF or a lone CR;
 * a row that is one empty cell (a blank line) is skipped; a leading byte-order mark is dropped.
 */
export class CsvTokenizer {
  private state: State = State.CellStart;
  private cells: string[] = [];
  private cell = '';
  private line = 1;
  private column = 0;
  private rowLine = 1;
  private cellLine = 1;
  private cellColumn = 1;
  private pendingCr = false;
  private started = false;

  constructor(private readonly limits: CsvLimits = DEFAULT_CSV_LIMITS) {}

  /** Where the reader stands: the position of the next character. */
  position(): { line: number; column: number } {
    return { line: this.line, column: this.column + 1 };
  }

  push(text: string, out: CsvRow[]): void {
    let i = 0;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) i = 1;
    }
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (this.pendingCr) {
        this.pendingCr = false;
        if (c === LF) {
          // CRLF is one line end; inside a quoted cell both characters are the cell's text.
          if (this.state === State.Quoted) this.append('\n');
          continue;
        }
      }
      this.column++;
      switch (this.state) {
        case State.Quoted:
          if (c === QUOTE) this.state = State.QuoteInQuoted;
          else {
            this.append(text[i]!);
            if (c === LF || c === CR) this.newLine(c);
          }
          continue;
        case State.QuoteInQuoted:
          if (c === QUOTE) {
            this.append('"');
            this.state = State.Quoted;
            continue;
          }
          // Text after a closing quote ("ab"c) is kept, as spreadsheets and Python's csv read it.
          this.state = State.Unquoted;
          break;
        case State.CellStart:
          this.cellLine = this.line;
          this.cellColumn = this.column;
          if (c === QUOTE) {
            this.state = State.Quoted;
            continue;
          }
          this.state = State.Unquoted;
          break;
        default:
          break;
      }
      // Unquoted (or just left a quote): commas and line ends are structure, anything else is text.
      if (c === COMMA) this.endCell();
      else if (c === LF || c === CR) {
        this.endRow(out);
        this.newLine(c);
        this.rowLine = this.line;
      } else {
        // A run of plain text is taken whole: most cells hold no structure at all.
        let j = i + 1;
        for (; j < text.length; j++) {
          const d = text.charCodeAt(j);
          if (d === COMMA || d === LF || d === CR) break;
        }
        this.append(text.slice(i, j));
        this.column += j - i - 1;
        i = j - 1;
      }
    }
  }

  /** The end of the input: a last row without a line end, or an error for a quote never closed. */
  end(out: CsvRow[]): void {
    if (this.state === State.Quoted) {
      throw new CsvError(
        this.cellLine,
        this.cellColumn,
        'a quoted cell is not closed before the end of the file',
      );
    }
    if (this.state !== State.CellStart || this.cells.length > 0) this.endRow(out);
  }

  private newLine(c: number): void {
    this.line++;
    this.column = 0;
    if (c === CR) this.pendingCr = true;
  }

  private append(ch: string): void {
    this.cell += ch;
    if (this.cell.length > this.limits.maxCellChars) {
      throw new CsvError(
        this.cellLine,
        this.cellColumn,
        `a cell is longer than ${this.limits.maxCellChars} characters; is this a CSV file?`,
      );
    }
  }

  private endCell(): void {
    this.cells.push(this.cell);
    this.cell = '';
    this.state = State.CellStart;
    if (this.cells.length >= this.limits.maxCells) {
      throw new CsvError(this.rowLine, this.column, `a row has more than ${this.limits.maxCells} cells`);
    }
  }

  private endRow(out: CsvRow[]): void {
    this.cells.push(this.cell);
    const row = { line: this.rowLine, cells: this.cells };
    this.cells = [];
    this.cell = '';
    this.state = State.CellStart;
    if (!(row.cells.length === 1 && row.cells[0] === '')) out.push(row);
  }
}

/** All rows of a CSV text at once. */
export function parseCsv(text: string, limits: CsvLimits = DEFAULT_CSV_LIMITS): CsvRow[] {
  const tokenizer = new CsvTokenizer(limits);
  const rows: CsvRow[] = [];
  tokenizer.push(text, rows);
  tokenizer.end(rows);
  return rows;
}

/** Rows streamed from text or UTF-8 bytes; bytes that are not UTF-8 are refused with their line and column. */
export async function* csvRows(
  chunks: Chunks,
  limits: CsvLimits = DEFAULT_CSV_LIMITS,
): AsyncGenerator<CsvRow> {
  const tokenizer = new CsvTokenizer(limits);
  const decoder = new Utf8Decoder();
  const out: CsvRow[] = [];
  for await (const chunk of chunks) {
    const { text, invalid } =
      typeof chunk === 'string' ? { text: chunk, invalid: false } : decoder.decode(chunk);
    tokenizer.push(text, out);
    yield* out.splice(0);
    if (invalid) throw invalidUtf8(tokenizer);
  }
  if (decoder.pending()) throw invalidUtf8(tokenizer);
  tokenizer.end(out);
  yield* out;
}

function invalidUtf8(tokenizer: CsvTokenizer): CsvError {
  const { line, column } = tokenizer.position();
  return new CsvError(line, column, 'the file is not valid UTF-8 here; export it as UTF-8 and try again');
}

/**
 * Records keyed by the header's column names (trimmed). A row with more cells than the header is reported, not
 * guessed; one with fewer has its missing trailing cells empty (as pandas and Python's csv read them), and is counted.
 */
export async function* csvRecords(
  chunks: Chunks,
  onBadRow: (line: number, reason: string) => void,
  onShortRow: (line: number) => void = () => {},
  limits: CsvLimits = DEFAULT_CSV_LIMITS,
): AsyncGenerator<{ line: number; fields: Record<string, string | undefined> }> {
  let header: string[] | undefined;
  for await (const { line, cells } of csvRows(chunks, limits)) {
    if (!header) {
      header = cells.map((c) => c.trim());
      continue;
    }
    if (cells.length > header.length) {
      onBadRow(line, `has ${cells.length} fields, the header has ${header.length}`);
      continue;
    }
    if (cells.length < header.length) onShortRow(line);
    const fields: Record<string, string | undefined> = {};
    header.forEach((name, i) => (fields[name] = cells[i]));
    yield { line, fields };
  }
}

/**
 * Validating UTF-8 decoding across chunk boundaries: decodes the longest valid prefix and says whether an invalid
 * sequence follows it (so the reader can name the line and column where the bad bytes start).
 */
export class Utf8Decoder {
  private carry: Uint8Array = new Uint8Array(0);
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });

  decode(chunk: Uint8Array): { text: string; invalid: boolean } {
    const bytes = this.carry.length === 0 ? chunk : concat(this.carry, chunk);
    const { valid, complete } = utf8Prefix(bytes);
    this.carry = complete ? bytes.slice(valid) : new Uint8Array(0);
    return { text: this.decoder.decode(bytes.subarray(0, valid)), invalid: !complete };
  }

  /** Bytes left over at the end of input: a sequence cut short, which is invalid too. */
  pending(): boolean {
    return this.carry.length > 0;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * The length of the longest prefix made of whole valid UTF-8 sequences (Unicode Table 3-7), and whether what
 * follows is only a sequence that the next chunk may complete (complete: true) or an invalid one (complete: false).
 */
export function utf8Prefix(bytes: Uint8Array): { valid: number; complete: boolean } {
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0;
      else if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      else if (b === 0xf4) hi = 0x8f;
    } else return { valid: i, complete: false };
    for (let k = 1; k <= need; k++) {
      if (i + k >= n) return { valid: i, complete: true };
      const c = bytes[i + k]!;
      if (k === 1 ? c < lo || c > hi : c < 0x80 || c > 0xbf) return { valid: i, complete: false };
    }
    i += need + 1;
  }
  return { valid: n, complete: true };
}

// ---------------------------------------------------------------------------------------------------------------
// Writing

/** A plain number ("-12.5", "+3", "1e-6") starts with a sign but is no formula: it is left as it is. */
const PLAIN_NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
/** The characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection"). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One cell, safe to open in a spreadsheet: a text that begins with = + - @, a tab or a CR gets a leading `'`
 * (OWASP's rule) so that no formula runs; then quoted when it holds a comma, a quote or a line break.
 */
export function csvCell(value: string | number | bigint | boolean | null | undefined): string {
  let text = value === null || value === undefined ? '' : String(value);
  if (FORMULA_START.test(text) && !PLAIN_NUMBER.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One line of cells, without its line end. */
export function csvLine(cells: readonly (string | number | bigint | boolean | null | undefined)[]): string {
  return cells.map(csvCell).join(',');
}

/** A whole CSV text: the header, then one line per row in the header's order, each ending in LF. */
export function writeCsv<C extends string>(
  columns: readonly C[],
  rows: Iterable<Readonly<Record<C, string | number | bigint | boolean | null | undefined>>>,
): string {
  const lines = [csvLine(columns)];
  for (const row of rows) lines.push(csvLine(columns.map((c) => row[c])));
  return `${lines.join('\n')}\n`;
}
