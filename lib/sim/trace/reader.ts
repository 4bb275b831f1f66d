// Streams a trace file (usage CSV or job CSV), detects its form by the header and validates every cell.
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import type { z } from 'zod';
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
import { splitCsvLine } from './csv.ts';

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

/** Opens a trace file by path; the file is read line by line, never whole. */
export function openTraceFile(path: string): Promise<Trace> {
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  return openTrace(lines, basename(path));
}

/** Opens a trace from lines (a file, a string split by the caller, a network stream). */
export async function openTrace(lines: Lines, name: string): Promise<Trace> {
  const iterator = toAsyncIterator(lines);
  const first = await iterator.next();
  if (first.done || first.value.trim() === '')
    throw new TraceFormatError(name, 1, undefined, undefined, 'expected a header line, got nothing');
  const columns = splitCsvLine(first.value.replace(/^\uFEFF/, '').trimEnd()).map((c) => c.trim());
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

function toAsyncIterator(lines: Lines): AsyncIterator<string> {
  if (Symbol.asyncIterator in lines) return lines[Symbol.asyncIterator]();
  const it = lines[Symbol.iterator]();
  return { next: async () => it.next() };
}

/** Validates the cells of one line against the column schemas, throwing at the first bad one. */
function parseCells(
  cells: readonly z.ZodType[],
  columns: readonly string[],
  text: string,
  name: string,
  line: number,
): Record<string, unknown> {
  const parts = splitCsvLine(text);
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

async function* dataLines(iterator: AsyncIterator<string>): AsyncGenerator<{ text: string; line: number }> {
  let line = 1;
  for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
    line++;
    if (next.value.trim() === '') continue;
    yield { text: next.value, line };
  }
}

async function* usageRows(
  iterator: AsyncIterator<string>,
  columns: string[],
  name: string,
): AsyncGenerator<UsageRow> {
  const cells = columns.map((c) => USAGE_CELLS[c as keyof typeof USAGE_CELLS]);
  const timeColumn = columns.indexOf('timestamp') + 1;
  let previousMs: number | undefined;
  let stepMs: number | undefined;
  for await (const { text, line } of dataLines(iterator)) {
    const v = parseCells(cells, columns, text, name, line);
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
  iterator: AsyncIterator<string>,
  columns: string[],
  name: string,
): AsyncGenerator<JobRow> {
  const cells = columns.map((c) => JOB_CELLS[c as keyof typeof JOB_CELLS]);
  const columnOf = (c: string) => columns.indexOf(c) + 1;
  for await (const { text, line } of dataLines(iterator)) {
    const v = parseCells(cells, columns, text, name, line);
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
