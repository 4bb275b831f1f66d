// Parses what nvidia-smi prints into GPU rows and compute processes, and names every output it cannot read.
import { toRfc3339 } from '../domain/time.ts';
import { CsvError, parseCsv } from '../format/csv.ts';

/** The query the agent runs; the parser also reads any header CSV that carries these columns. */
export const GPU_QUERY_FIELDS = [
  'timestamp',
  'index',
  'uuid',
  'name',
  'utilization.gpu',
  'memory.used',
  'memory.total',
  'power.draw',
  'temperature.gpu',
] as const;
export const APPS_QUERY_FIELDS = ['gpu_uuid', 'pid', 'used_memory'] as const;

export const GPU_QUERY_ARGS = [`--query-gpu=${GPU_QUERY_FIELDS.join(',')}`, '--format=csv,noheader,nounits'];
export const APPS_QUERY_ARGS = [
  `--query-compute-apps=${APPS_QUERY_FIELDS.join(',')}`,
  '--format=csv,noheader,nounits',
];

/** One GPU in one nvidia-smi run. */
export interface GpuRow {
  at: string;
  index: number;
  uuid: string;
  model: string;
  utilizationPct: number | null;
  memoryUsedMiB: number | null;
  memoryTotalMiB: number | null;
  powerW: number | null;
  temperatureC: number | null;
}

/** One compute process holding a GPU. */
export interface AppRow {
  gpuUuid: string;
  pid: number;
  usedMemoryMiB: number | null;
}

export const OUTPUT_FORMATS = [
  'csv',
  'query-text',
  'query-xml',
  'table',
  'list',
  'capture',
  'failure',
  'empty',
] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** nvidia-smi ran but could not reach the driver or the GPUs; the node has no readings this time. */
export class NvidiaSmiFailedError extends Error {
  constructor(readonly detail: string) {
    super(`nvidia-smi failed: ${detail}`);
    this.name = 'NvidiaSmiFailedError';
  }
}

/** The text is not an output the agent can read; the message says what it is and what to run instead. */
export class NvidiaSmiFormatError extends Error {
  constructor(
    readonly format: OutputFormat,
    reason: string,
  ) {
    super(reason);
    this.name = 'NvidiaSmiFormatError';
  }
}

const FAILURE_PATTERNS = [
  /NVIDIA-SMI has failed[^\n]*/,
  /couldn't communicate with the NVIDIA driver[^\n]*/,
  /No devices were found[^\n]*/,
  /Unable to determine the device handle[^\n]*/,
  /Failed to initialize NVML[^\n]*/,
  /nvidia-smi: (?:command )?not found[^\n]*/,
];

const RUN_THIS = `run nvidia-smi ${GPU_QUERY_ARGS.join(' ')}`;

/** Says which kind of nvidia-smi output a text is, by the marks each kind carries. */
export function detectFormat(text: string): OutputFormat {
  const trimmed = text.trim();
  if (trimmed === '') return 'empty';
  if (FAILURE_PATTERNS.some((p) => p.test(trimmed))) return 'failure';
  if (trimmed.startsWith('#####')) return 'capture';
  if (trimmed.startsWith('<?xml') || trimmed.includes('<nvidia_smi_log>')) return 'query-xml';
  if (trimmed.includes('=====NVSMI LOG=====')) return 'query-text';
  if (/^\+-{5,}/m.test(trimmed) || /\| NVIDIA-SMI /.test(trimmed)) return 'table';
  if (/^GPU \d+: .*\(UUID: /m.test(trimmed)) return 'list';
  return 'csv';
}

function rejectUnlessCsv(text: string): void {
  const format = detectFormat(text);
  switch (format) {
    case 'csv':
    case 'empty':
      return;
    case 'failure':
      throw new NvidiaSmiFailedError(
        FAILURE_PATTERNS.map((p) => p.exec(text)?.[0])
          .find(Boolean)!
          .trim(),
      );
    case 'query-text':
      throw new NvidiaSmiFormatError(format, `this is "nvidia-smi -q" output, not a CSV query; ${RUN_THIS}`);
    case 'query-xml':
      throw new NvidiaSmiFormatError(format, `this is "nvidia-smi -q -x" XML, not a CSV query; ${RUN_THIS}`);
    case 'table':
      throw new NvidiaSmiFormatError(
        format,
        `this is the plain nvidia-smi table, not a CSV query; ${RUN_THIS}`,
      );
    case 'list':
      throw new NvidiaSmiFormatError(
        format,
        `this is "nvidia-smi -L" (GPU names only, no readings); ${RUN_THIS}`,
      );
    case 'capture':
      throw new NvidiaSmiFormatError(
        format,
        `this is a capture of several nvidia-smi commands; feed one command's output (${RUN_THIS})`,
      );
  }
}

/** nvidia-smi's "not available" cells, in every spelling seen from drivers 410 to 610. */
function isNotAvailable(cell: string): boolean {
  return cell === '' || /^\[.*\]$/.test(cell) || cell === 'N/A' || cell === 'ERR!';
}

/** A number cell: null when nvidia-smi has no value, with a unit suffix ("52 %", "2296 MiB") allowed. */
function numberCell(cell: string | undefined, column: string, line: number): number | null {
  if (cell === undefined || isNotAvailable(cell)) return null;
  const m = /^(-?\d+(?:\.\d+)?)(?:\s*(?:%|MiB|W|C|MHz))?$/.exec(cell);
  if (!m)
    throw new NvidiaSmiFormatError('csv', `line ${line}: ${column} is not a number: ${JSON.stringify(cell)}`);
  return Number(m[1]);
}

/**
 * nvidia-smi's timestamp, "2026/07/14 09:00:44.742", carries no zone: the agent runs nvidia-smi with
 * TZ=UTC, and replayed files are read as UTC.
 */
export function parseSmiTimestamp(cell: string): string | null {
  const m = /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?$/.exec(cell.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac = '0'] = m;
  const ms = Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +s!, Number(frac.padEnd(3, '0')));
  return Number.isNaN(ms) ? null : toRfc3339(ms);
}

interface CsvTable {
  columns: string[];
  rows: { cells: string[]; line: number }[];
}

/** Header cells are "memory.used [MiB]"; the name is what the query asked for. */
function columnName(headerCell: string): string {
  return headerCell.replace(/\s*\[[^\]]*\]\s*$/, '').trim();
}

const HEADER_CELL = /^[a-z_][a-z0-9_.]*(?: \[[^\]]+\])?$/i;

/**
 * Splits CSV output into rows, taking the columns from its header, from an echoed command line
 * ("$ nvidia-smi --query-gpu=… --format=csv,noheader"), or else from the query the agent runs.
 */
function readCsv(text: string, defaultColumns: readonly string[]): CsvTable {
  let parsed;
  try {
    parsed = parseCsv(text);
  } catch (error) {
    if (error instanceof CsvError) throw new NvidiaSmiFormatError('csv', error.message);
    throw error;
  }
  let columns: string[] | undefined;
  const rows: CsvTable['rows'] = [];
  let commands = 0;
  for (const row of parsed) {
    // An echoed command line is split on its commas too: the line is its cells joined again.
    const line = row.cells.join(',').trim();
    if (line === '') continue;
    const query = /--query-(?:gpu|compute-apps)=(\S+)/.exec(line);
    if (query || /(^|\s)nvidia-smi(\.exe)?\s/.test(line) || line.includes('--format=')) {
      commands++;
      if (commands > 1)
        throw new NvidiaSmiFormatError(
          'csv',
          `line ${row.line}: several nvidia-smi commands in one input; feed one`,
        );
      if (query) columns = query[1]!.split(',');
      continue;
    }
    const cells = row.cells.map((c) => c.trim());
    if (
      rows.length === 0 &&
      columns === undefined &&
      cells.every((c) => HEADER_CELL.test(c)) &&
      !/^\d/.test(cells[0]!)
    ) {
      columns = cells.map(columnName);
      continue;
    }
    if (rows.length === 0 && columns !== undefined && cells.every((c) => HEADER_CELL.test(c))) {
      // An echoed command followed by its header: the header wins.
      columns = cells.map(columnName);
      continue;
    }
    rows.push({ cells, line: row.line });
  }
  return { columns: columns ?? [...defaultColumns], rows };
}

function columnIndex(columns: string[], ...names: string[]): number | undefined {
  for (const n of names) {
    const i = columns.indexOf(n);
    if (i >= 0) return i;
  }
  return undefined;
}

/**
 * Parses `nvidia-smi --query-gpu=… --format=csv[,noheader][,nounits]` into GPU rows. Rows without a
 * timestamp column get `sampledAt`; rows without an index get their position (nvidia-smi lists GPUs in
 * index order). A GPU needs a name and a UUID or an index (which tells GPUs apart on one node: such a GPU is
 * keyed "index:<n>"); everything else may be missing or [N/A] (null).
 */
export function parseGpuQuery(text: string, sampledAt: string): GpuRow[] {
  rejectUnlessCsv(text);
  const { columns, rows } = readCsv(text, GPU_QUERY_FIELDS);
  const col = {
    timestamp: columnIndex(columns, 'timestamp'),
    index: columnIndex(columns, 'index'),
    uuid: columnIndex(columns, 'uuid', 'gpu_uuid'),
    name: columnIndex(columns, 'name', 'gpu_name'),
    util: columnIndex(columns, 'utilization.gpu'),
    memUsed: columnIndex(columns, 'memory.used'),
    memTotal: columnIndex(columns, 'memory.total'),
    power: columnIndex(columns, 'power.draw', 'power.draw.instant', 'power.draw.average'),
    temp: columnIndex(columns, 'temperature.gpu'),
  };
  const missing = [
    ...(col.name === undefined ? ['name'] : []),
    ...(col.uuid === undefined && col.index === undefined ? ['uuid or index'] : []),
  ];
  if (missing.length > 0) {
    throw new NvidiaSmiFormatError(
      'csv',
      `the columns are ${columns.join(',')}: missing ${missing.join(', ')} to tell GPUs apart; ${RUN_THIS}`,
    );
  }
  return rows.map(({ cells, line }, position): GpuRow => {
    if (cells.length !== columns.length) {
      throw new NvidiaSmiFormatError(
        'csv',
        `line ${line}: ${cells.length} cells for ${columns.length} columns (${columns.join(',')})`,
      );
    }
    const cell = (i: number | undefined) => (i === undefined ? undefined : cells[i]);
    const model = cell(col.name)!;
    const uuidCell = cell(col.uuid);
    const indexCell = cell(col.index);
    const byIndex = uuidCell === undefined && indexCell !== undefined && !isNotAvailable(indexCell);
    if ((!byIndex && (uuidCell === undefined || isNotAvailable(uuidCell))) || isNotAvailable(model))
      throw new NvidiaSmiFormatError('csv', `line ${line}: a GPU without a UUID (or index) or name`);
    const stamp = cell(col.timestamp);
    let at = sampledAt;
    if (stamp !== undefined) {
      const parsed = parseSmiTimestamp(stamp);
      if (parsed === null)
        throw new NvidiaSmiFormatError(
          'csv',
          `line ${line}: timestamp is not "yyyy/mm/dd hh:mm:ss.mmm": ${stamp}`,
        );
      at = parsed;
    }
    const index = numberCell(indexCell, 'index', line) ?? position;
    if (!Number.isInteger(index) || index < 0 || index > 255)
      throw new NvidiaSmiFormatError('csv', `line ${line}: index ${index} is not a GPU index`);
    return {
      at,
      index,
      uuid: byIndex ? `index:${index}` : uuidCell!,
      model,
      utilizationPct: numberCell(cell(col.util), 'utilization.gpu', line),
      memoryUsedMiB: numberCell(cell(col.memUsed), 'memory.used', line),
      memoryTotalMiB: numberCell(cell(col.memTotal), 'memory.total', line),
      powerW: numberCell(cell(col.power), 'power.draw', line),
      temperatureC: numberCell(cell(col.temp), 'temperature.gpu', line),
    };
  });
}

/** Parses `nvidia-smi --query-compute-apps=gpu_uuid,pid,used_memory` (any CSV form; no rows = no processes). */
export function parseAppsQuery(text: string): AppRow[] {
  if (/No running (?:compute )?processes found/i.test(text)) return [];
  rejectUnlessCsv(text);
  const { columns, rows } = readCsv(text, APPS_QUERY_FIELDS);
  const uuidAt = columnIndex(columns, 'gpu_uuid');
  const pidAt = columnIndex(columns, 'pid');
  const memAt = columnIndex(columns, 'used_memory', 'used_gpu_memory');
  if (uuidAt === undefined || pidAt === undefined)
    throw new NvidiaSmiFormatError('csv', `the columns are ${columns.join(',')}: missing gpu_uuid or pid`);
  return rows.map(({ cells, line }) => {
    if (cells.length !== columns.length)
      throw new NvidiaSmiFormatError(
        'csv',
        `line ${line}: ${cells.length} cells for ${columns.length} columns`,
      );
    const pid = numberCell(cells[pidAt], 'pid', line);
    if (pid === null || !Number.isInteger(pid) || pid < 0)
      throw new NvidiaSmiFormatError('csv', `line ${line}: pid is not a process id: ${cells[pidAt]}`);
    return {
      gpuUuid: cells[uuidAt]!,
      pid,
      usedMemoryMiB: memAt === undefined ? null : numberCell(cells[memAt], 'used_memory', line),
    };
  });
}
