// Converts alibaba-gpu-dlrm-2025's instance lifecycles into a 5-minute usage trace (rule in its SOURCE.md).
import { join } from 'node:path';
import { WINDOW_MS } from '../../lib/domain/time.ts';
import { jobsToUsage } from '../../lib/sim/trace/aggregate.ts';
import type { JobRow, UsageRow } from '../../lib/sim/trace/format.ts';
import { convertArgs, rawNumber, readRawCsv, writeUsageTrace } from './raw.ts';

/** The trace counts seconds from an unstated start; we anchor it at a Monday 00:00 UTC so weekdays line up. */
export const DLRM_ANCHOR_MS = Date.parse('2025-01-06T00:00:00Z');
export const DLRM_POOL = 'onprem:alibaba:dlrm:hn';

/**
 * Every GPU instance (role HN) is a job of its service (`team` = app_name): waiting from creation to scheduling,
 * running from scheduling to deletion. An unknown creation/scheduling time (NaN: it predates the trace) is the
 * trace start; an unknown deletion (it outlived the trace) runs to the trace end, the latest time in the file,
 * cut to whole 5-minute windows (`endMs`).
 */
export async function dlrmJobs(rawDir: string): Promise<{ jobs: JobRow[]; endMs: number }> {
  const jobs: JobRow[] = [];
  let lastSeconds = 0;
  for await (const r of readRawCsv(join(rawDir, 'disaggregated_DLRM_trace.csv'))) {
    const created = rawNumber(r.creation_time);
    const scheduled = rawNumber(r.scheduled_time);
    const deleted = rawNumber(r.deletion_time);
    for (const t of [created, scheduled, deleted]) if (t !== null) lastSeconds = Math.max(lastSeconds, t);
    const gpus = rawNumber(r.gpu_request) ?? 0;
    if (r.role !== 'HN' || gpus <= 0) continue;
    jobs.push({
      jobId: r.instance_sn ?? '',
      team: r.app_name ?? '',
      submitMs: DLRM_ANCHOR_MS + (created ?? 0) * 1000,
      startMs: DLRM_ANCHOR_MS + (scheduled ?? created ?? 0) * 1000,
      endMs: deleted === null ? null : DLRM_ANCHOR_MS + deleted * 1000,
      gpus,
    });
  }
  return { jobs, endMs: DLRM_ANCHOR_MS + Math.floor((lastSeconds * 1000) / WINDOW_MS) * WINDOW_MS };
}

/** The whole cluster as one series per 5 minutes. */
export async function convertDlrm(rawDir: string): Promise<UsageRow[]> {
  const { jobs, endMs } = await dlrmJobs(rawDir);
  // One series for the whole cluster: 156 services × 8,928 windows would make a 40 MB file.
  const merged = jobs.map(({ team: _team, ...job }) => job);
  const rows = await jobsToUsage(merged, { stepMs: WINDOW_MS, endMs, startMs: DLRM_ANCHOR_MS });
  return rows.map((r) => ({ ...r, pool: DLRM_POOL }));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { rawDir, outDir } = convertArgs('alibaba-dlrm.ts');
  const path = join(outDir, 'alibaba-dlrm-5min.csv');
  const n = await writeUsageTrace(
    path,
    ['timestamp', 'pool', 'gpus_busy', 'gpus_pending'],
    await convertDlrm(rawDir),
  );
  console.log(`wrote ${n} rows to ${path}`);
}
