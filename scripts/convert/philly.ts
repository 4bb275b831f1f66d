// Converts philly-cluster's per-minute busy-node counts into a 5-minute usage trace (rule in data/philly/SOURCE.md).
import { join } from 'node:path';
import { WINDOW_MS } from '../../lib/domain/time.ts';
import type { UsageRow } from '../../lib/sim/trace/format.ts';
import { convertArgs, parseWallClock, rawNumber, readRawCsv, writeUsageTrace } from './raw.ts';

/** The node → GPU rule: Philly had 2- and 8-GPU nodes and the file does not say which; 8 is the documented rule. */
export const PHILLY_GPUS_PER_NODE = 8;
/** The Philly trace clock is kept as UTC: the trace gives no zone, and an offset would only shift the daily cycle. */
export const PHILLY_UTC_OFFSET_HOURS = 0;
export const PHILLY_POOL = 'onprem:philly:all:node';

/** Means of busy GPUs per 5-minute window; a window with no minute in the file is left out (a gap). */
export async function convertPhilly(rawDir: string): Promise<UsageRow[]> {
  const windows = new Map<number, { sum: number; n: number }>();
  for await (const r of readRawCsv(join(rawDir, 'philly_node_sequence_1min.csv'))) {
    const atMs = parseWallClock(r.time ?? '', PHILLY_UTC_OFFSET_HOURS);
    const active = rawNumber(r.active);
    if (active === null) continue;
    const w = Math.floor(atMs / WINDOW_MS) * WINDOW_MS;
    const cell = windows.get(w) ?? { sum: 0, n: 0 };
    cell.sum += active * PHILLY_GPUS_PER_NODE;
    cell.n++;
    windows.set(w, cell);
  }
  return [...windows.entries()]
    .sort(([a], [b]) => a - b)
    .map(([atMs, { sum, n }]) => ({ atMs, pool: PHILLY_POOL, gpuModel: 'unknown', gpusBusy: sum / n }));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { rawDir, outDir } = convertArgs('philly.ts');
  const rows = await convertPhilly(rawDir);
  const n = await writeUsageTrace(join(outDir, 'philly-5min.csv'), ['timestamp', 'pool', 'gpus_busy'], rows);
  console.log(`wrote ${n} rows to ${join(outDir, 'philly-5min.csv')}`);
}
