// Streams a trace file (usage CSV or job CSV), detects its form by the header and validates every cell.
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import type { z } from 'zod';
import { CsvError, csvRows, type CsvRow } from '../../format/csv.ts';
import {
  detectKind,
  JOB_CELLS,
  JOB_COLUMNS,
  USAGE_CELLS,
  USAGE_COLUMNS,
  type JobRow,
  type TraceKind,
  type UsageRow,
} from './format.ts';

/** A malformed trace, located as `file:line:column (field): what was wrong`. */
export class TraceFormatError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number | undefined,
    readonly field: string | undefined,
    readonly problem: string,
  ) {
    const where = column === undefined ? `${file}:${line}` : `${file}:${line}:${column}`;
    super(`${where}${field ? ` (${field})` : ''}: ${problem}`);
    this.name = 'TraceFormatError';
  }
}

export interface UsageTrace {
  kind: 'usage';
  name: string;
  columns: string[];
  rows: AsyncGenerator<UsageRow>;
}

export interface JobTrace {
  kind: 'job';
  name: string;
  columns: string[];
  rows: AsyncGenerator<JobRow>;
}

export type Trace = UsageTrace | JobTrace;

type Lines = AsyncIterable<string> | Iterable<string>;

/** Opens a trace file by path; the file is read as a stream of bytes (strict UTF-8), never whole. */
export function openTraceFile(path: string): Promise<Trace> {
  return openTraceRows(csvRows(createReadStream(path) as AsyncIterable<Uint8Array>), basename(path));
}

/** Opens a trace from lines (a string split by the caller, a network stream). */
export function openTrace(lines: Lines, name: string): Promise<Trace> {
  return openTraceRows(csvRows(withLineEnds(lines)), name);
}

async function* withLineEnds(lines: Lines): AsyncGenerator<string> {
  for await (const line of lines as AsyncIterable<string>) yield `${line}\n`;
}

/** Rows of the shared CSV reader, its errors (unclosed quote, bad UTF-8) located in the trace's terms. */
async function* locatedRows(rows: AsyncGenerator<CsvRow>, name: string): AsyncGenerator<CsvRow> {
  try {
    yield* rows;
  } catch (error) {
    if (error instanceof CsvError)
      throw new TraceFormatError(name, error.line, error.column, undefined, error.reason);
    throw error;
  }
}

async function openTraceRows(rows: AsyncGenerator<CsvRow>, name: string): Promise<Trace> {
  const iterator = locatedRows(rows, name);
  const first = await iterator.next();
  if (first.done || first.value.cells.every((c) => c.trim() === ''))
    throw new TraceFormatError(name, 1, undefined, undefined, 'expected a header line, got nothing');
  const columns = first.value.cells.map((c) => c.trim());
  const kind = detectKind(columns);
  if (!kind) {
    throw new TraceFormatError(
      name,
      1,
      undefined,
      undefined,
      `header ${JSON.stringify(columns.join(','))} is neither a usage trace (needs timestamp, gpus_busy) ` +
        `nor a job trace (needs ${JOB_COLUMNS.join(',')})`,
    );
  }
  checkHeader(name, columns, kind);
  return kind === 'usage'
    ? { kind, name, columns, rows: usageRows(iterator, columns, name) }
    : { kind, name, columns, rows: jobRows(iterator, columns, name) };
}

/** The rows of a usage trace; a job trace is refused (convert it with jobsToUsage first). */
export function usageRowsOf(trace: Trace): AsyncGenerator<UsageRow> {
  if (trace.kind !== 'usage') throw new Error(`${trace.name} is a job trace, not a usage trace`);
  return trace.rows;
}

/** The rows of a job trace; a usage trace is refused. */
export function jobRowsOf(trace: Trace): AsyncGenerator<JobRow> {
  if (trace.kind !== 'job') throw new Error(`${trace.name} is a usage trace, not a job trace`);
  return trace.rows;
}

function checkHeader(name: string, columns: string[], kind: TraceKind): void {
  const allowed: readonly string[] = kind === 'usage' ? USAGE_COLUMNS : JOB_COLUMNS;
  const seen = new Set<string>();
  columns.forEach((c, i) => {
    if (!allowed.includes(c))
      throw new TraceFormatError(
        name,
        1,
        i + 1,
        c,
        `unknown column for a ${kind} trace; expected some of ${allowed.join(',')}`,
      );
    if (seen.has(c)) throw new TraceFormatError(name, 1, i + 1, c, 'column appears twice');
    seen.add(c);
  });
}

/** Validates the cells of one line against the column schemas, throwing at the first bad one. */
function parseCells(
  cells: readonly z.ZodType[],
  columns: readonly string[],
  parts: readonly string[],
  name: string,
  line: number,
): Record<string, unknown> {
  if (parts.length !== columns.length)
    throw new TraceFormatError(
      name,
      line,
      Math.min(parts.length, columns.length) + 1,
      undefined,
      `expected ${columns.length} cells like the header, got ${parts.length}`,
    );
  const out: Record<string, unknown> = {};
  for (let i = 0; i < columns.length; i++) {
    const result = cells[i]!.safeParse(parts[i]!.trim());
    if (!result.success)
      throw new TraceFormatError(name, line, i + 1, columns[i], result.error.issues[0]?.message ?? 'invalid');
    out[columns[i]!] = result.data;
  }
  return out;
}

async function* dataLines(
  iterator: AsyncIterator<CsvRow>,
): AsyncGenerator<{ cells: string[]; line: number }> {
  for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
    if (next.value.cells.every((c) => c.trim() === '')) continue;
    yield { cells: next.value.cells, line: next.value.line };
  }
}

async function* usageRows(
  iterator: AsyncIterator<CsvRow>,
  columns: string[],
  name: string,
): AsyncGenerator<UsageRow> {
  const cells = columns.map((c) => USAGE_CELLS[c as keyof typeof USAGE_CELLS]);
  const timeColumn = columns.indexOf('timestamp') + 1;
  let previousMs: number | undefined;
  let stepMs: number | undefined;
  // Rows come in time order, so a duplicate can only be among the rows of the current timestamp.
  const keysNow = new Map<string, number>();
  for await (const { cells: parts, line } of dataLines(iterator)) {
    const v = parseCells(cells, columns, parts, name, line);
    const atMs = v.timestamp as number;
    if (previousMs !== undefined) {
      const gap = atMs - previousMs;
      if (gap < 0)
        throw new TraceFormatError(name, line, timeColumn, 'timestamp', 'rows must be in time order');
      // The step is the smallest gap seen; a longer gap must be whole steps (missing rows), never a fraction.
      if (gap > 0 && stepMs !== undefined && gap % stepMs !== 0 && stepMs % gap !== 0)
        throw new TraceFormatError(
          name,
          line,
          timeColumn,
          'timestamp',
          `rows must come at a regular step: ${gap / 1000} s after the previous row, the step is ${stepMs / 1000} s`,
        );
      if (gap > 0) stepMs = stepMs === undefined ? gap : Math.min(stepMs, gap);
    }
    if (atMs !== previousMs) keysNow.clear();
    const key = JSON.stringify([v.pool ?? null, v.team ?? null]);
    const earlier = keysNow.get(key);
    if (earlier !== undefined)
      throw new TraceFormatError(
        name,
        line,
        timeColumn,
        'timestamp',
        `a second row for the same timestamp, pool and team (first on line ${earlier}); remove one, or sum them into one row`,
      );
    keysNow.set(key, line);
    previousMs = atMs;
    const row: UsageRow = { atMs, gpusBusy: v.gpus_busy as number };
    if (v.pool !== undefined) row.pool = v.pool as string;
    if (v.gpu_model !== undefined) row.gpuModel = v.gpu_model as string;
    if (v.team !== undefined) row.team = v.team as string;
    if (v.gpus_pending !== undefined) row.gpusPending = v.gpus_pending as number;
    yield row;
  }
}

async function* jobRows(
  iterator: AsyncIterator<CsvRow>,
  columns: string[],
  name: string,
): AsyncGenerator<JobRow> {
  const cells = columns.map((c) => JOB_CELLS[c as keyof typeof JOB_CELLS]);
  const columnOf = (c: string) => columns.indexOf(c) + 1;
  for await (const { cells: parts, line } of dataLines(iterator)) {
    const v = parseCells(cells, columns, parts, name, line);
    const row: JobRow = {
      jobId: v.job_id as string,
      submitMs: v.submit as number,
      startMs: v.start as number | null,
      endMs: v.end as number | null,
      gpus: v.gpus as number,
    };
    if (row.startMs !== null && row.startMs < row.submitMs)
      throw new TraceFormatError(
        name,
        line,
        columnOf('start'),
        'start',
        'a job cannot start before it is submitted',
      );
    if (row.endMs !== null && row.startMs === null)
      throw new TraceFormatError(name, line, columnOf('end'), 'end', 'a job that never started cannot end');
    if (row.endMs !== null && row.startMs !== null && row.endMs < row.startMs)
      throw new TraceFormatError(name, line, columnOf('end'), 'end', 'a job cannot end before it starts');
    for (const [key, column] of [
      ['user', 'user'],
      ['project', 'project'],
      ['team', 'team'],
      ['gpuModel', 'gpu_model'],
    ] as const)
      if (v[column] !== undefined) row[key] = v[column] as string;
    yield row;
  }
}
