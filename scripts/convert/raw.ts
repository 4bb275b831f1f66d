// The one reader of the raw datasets: streams their CSV/JSON files and writes converted trace files.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { toRfc3339 } from '../../lib/domain/time.ts';
import { csvCell, splitCsvLine } from '../../lib/sim/trace/csv.ts';
import type { UsageRow } from '../../lib/sim/trace/format.ts';

/** Streams a raw CSV with a header as records keyed by column name. */
export async function* readRawCsv(path: string): AsyncGenerator<Record<string, string>> {
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  let header: string[] | undefined;
  for await (const line of lines) {
    if (line.trim() === '') continue;
    const cells = splitCsvLine(line);
    if (!header) {
      header = cells.map((c) => c.replace(/^\uFEFF/, '').trim());
      continue;
    }
    const record: Record<string, string> = {};
    header.forEach((name, i) => (record[name] = cells[i] ?? ''));
    yield record;
  }
}

export async function readRawJson(path: string): Promise<unknown> {
  return JSON.parse(await readFile(path, 'utf8')) as unknown;
}

/** "2017-10-03 00:00:00" on a wall clock `utcOffsetHours` ahead of UTC → epoch ms. */
export function parseWallClock(text: string, utcOffsetHours: number): number {
  const ms = Date.parse(`${text.trim().replace(' ', 'T')}Z`);
  if (Number.isNaN(ms)) throw new Error(`not a wall-clock time: ${JSON.stringify(text)}`);
  return ms - utcOffsetHours * 3_600_000;
}

/** A raw number cell; empty or NaN is null (the datasets write unknown times as NaN or nothing). */
export function rawNumber(text: string | undefined): number | null {
  if (text === undefined || text.trim() === '' || text.trim().toLowerCase() === 'nan') return null;
  const n = Number(text);
  if (!Number.isFinite(n)) throw new Error(`not a number: ${JSON.stringify(text)}`);
  return n;
}

/** Rounds GPU counts so files stay small; 0.01 GPU is far below any decision. */
const round2 = (n: number) => Math.round(n * 100) / 100;

/** Writes usage rows as a trace CSV with the columns given, streaming. Returns the number of rows. */
export async function writeUsageTrace(
  path: string,
  columns: readonly ('timestamp' | 'pool' | 'gpu_model' | 'team' | 'gpus_busy' | 'gpus_pending')[],
  rows: Iterable<UsageRow>,
): Promise<number> {
  await mkdir(dirname(path), { recursive: true });
  const out = createWriteStream(path, 'utf8');
  const cell: Record<(typeof columns)[number], (r: UsageRow) => string> = {
    timestamp: (r) => toRfc3339(r.atMs),
    pool: (r) => csvCell(r.pool ?? ''),
    gpu_model: (r) => csvCell(r.gpuModel ?? ''),
    team: (r) => csvCell(r.team ?? ''),
    gpus_busy: (r) => String(round2(r.gpusBusy)),
    gpus_pending: (r) => (r.gpusPending === undefined ? '' : String(round2(r.gpusPending))),
  };
  let count = 0;
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  await write(`${columns.join(',')}\n`);
  for (const row of rows) {
    await write(`${columns.map((c) => cell[c](row)).join(',')}\n`);
    count++;
  }
  out.end();
  await once(out, 'finish');
  return count;
}

/** `<raw-dir> <out-dir>` from the command line, or a usage message and exit code 2. */
export function convertArgs(script: string): { rawDir: string; outDir: string } {
  const [rawDir, outDir] = process.argv.slice(2);
  if (!rawDir || !outDir) {
    console.error(`usage: npx tsx scripts/convert/${script} <raw-dir> <out-dir>`);
    process.exit(2);
  }
  return { rawDir, outDir };
}

/** Row order of a per-team trace: by time, then team. */
export function byTimeThenTeam(a: UsageRow, b: UsageRow): number {
  return a.atMs - b.atMs || (a.team ?? '').localeCompare(b.team ?? '');
}

/** The command line of a per-team converter: `<raw-dir> <out-dir>` in, `<out-dir>/<file>` with team columns out. */
export async function runTeamConverter(
  script: string,
  file: string,
  convert: (rawDir: string) => Promise<UsageRow[]>,
): Promise<void> {
  const { rawDir, outDir } = convertArgs(script);
  const path = join(outDir, file);
  const rows = (await convert(rawDir)).sort(byTimeThenTeam);
  const n = await writeUsageTrace(path, ['timestamp', 'pool', 'team', 'gpus_busy', 'gpus_pending'], rows);
  console.log(`wrote ${n} rows to ${path}`);
}
