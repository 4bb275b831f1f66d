// Converts helios-venus's 10-minute job throughput into a usage trace of a rebuilt running level (rule in its SOURCE.md).
import { join } from 'node:path';
import type { UsageRow } from '../../lib/sim/trace/format.ts';
import { convertArgs, parseWallClock, rawNumber, readRawCsv, writeUsageTrace } from './raw.ts';

/** Helios times are the cluster's wall clock; SenseTime runs it in China Standard Time, UTC+8. */
export const VENUS_UTC_OFFSET_HOURS = 8;
export const VENUS_POOL = 'onprem:helios:venus:node';

/**
 * GPUs running = offset + cumsum(started GPUs − ended GPUs). The offset (GPUs busy at the first bin) is not in
 * the data; we take the smallest offset that keeps the level ≥ 0 everywhere, i.e. −min(cumsum): a lower
 * bound on the true level (its peak, ≈1,050, is close to Venus's 1,022 GPUs, so it is a tight one).
 */
export async function convertVenus(rawDir: string): Promise<UsageRow[]> {
  const bins: { atMs: number; net: number }[] = [];
  for await (const r of readRawCsv(join(rawDir, 'venus_cluster_throughput_10min.csv')))
    bins.push({
      atMs: parseWallClock(r.time ?? '', VENUS_UTC_OFFSET_HOURS),
      net: (rawNumber(r.start_gpu_num) ?? 0) - (rawNumber(r.end_gpu_num) ?? 0),
    });
  let level = 0;
  const cumulative = bins.map((b) => (level += b.net));
  const offset = -Math.min(0, ...cumulative);
  return bins.map((b, i) => ({ atMs: b.atMs, pool: VENUS_POOL, gpusBusy: offset + cumulative[i]! }));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { rawDir, outDir } = convertArgs('helios-venus.ts');
  const path = join(outDir, 'venus-10min.csv');
  const n = await writeUsageTrace(path, ['timestamp', 'pool', 'gpus_busy'], await convertVenus(rawDir));
  console.log(`wrote ${n} rows to ${path}`);
}
