// Converts Philly's multi-GPU job sample into an hourly usage trace per virtual cluster (team) (rule in its SOURCE.md).
import { join } from 'node:path';
import { z } from 'zod';
import { HOUR_MS } from '../../lib/domain/time.ts';
import { describeZodError } from '../../lib/domain/validation.ts';
import { jobsToUsage } from '../../lib/sim/trace/aggregate.ts';
import type { JobRow, UsageRow } from '../../lib/sim/trace/format.ts';
import { PHILLY_UTC_OFFSET_HOURS } from './philly.ts';
import { parseWallClock, readRawJson, runTeamConverter } from './raw.ts';

export const PHILLY_VC_POOL = 'onprem:philly:vc:node';
/** The first day any sampled job runs (2017-10-03 03:36, Philly clock): the trace starts at that midnight. */
export const PHILLY_VC_START_MS = Date.parse('2017-10-03T00:00:00Z');

const zJob = z.object({
  vc: z.string().min(1),
  jobid: z.string().min(1),
  submitted_time: z.string(),
  start_time: z.string(),
  end_time: z.string(),
  detail: z.array(z.object({ gpus: z.array(z.string()) })),
});

/**
 * Each sampled job runs from start to end on the GPUs its placement lists (the `gpus` lists of `detail`, summed)
 * and waits from submission to start; its virtual cluster is its team. Jobs submitted before the trace start
 * wait from the start on; the trace ends at the last job end, rounded up to a whole hour.
 */
export async function convertPhillyVc(rawDir: string): Promise<UsageRow[]> {
  const raw = await readRawJson(join(rawDir, 'philly_sampled_jobs.json'));
  if (!Array.isArray(raw)) throw new Error('philly_sampled_jobs.json: expected a JSON array of jobs');
  const jobs: JobRow[] = raw.map((item, i) => {
    const parsed = zJob.safeParse(item);
    if (!parsed.success)
      throw new Error(`philly_sampled_jobs.json job ${i}: ${describeZodError(parsed.error)}`);
    const j = parsed.data;
    const at = (text: string) => parseWallClock(text, PHILLY_UTC_OFFSET_HOURS);
    return {
      jobId: j.jobid,
      team: j.vc,
      submitMs: at(j.submitted_time),
      startMs: at(j.start_time),
      endMs: at(j.end_time),
      gpus: j.detail.reduce((n, d) => n + d.gpus.length, 0),
    };
  });
  const lastEnd = Math.max(...jobs.map((j) => j.endMs!));
  const endMs = Math.ceil(lastEnd / HOUR_MS) * HOUR_MS;
  const rows = await jobsToUsage(jobs, { stepMs: HOUR_MS, endMs, startMs: PHILLY_VC_START_MS });
  return rows.map((r) => ({ ...r, pool: PHILLY_VC_POOL }));
}

if (import.meta.url === `file://${process.argv[1]}`)
  await runTeamConverter('philly-vc.ts', 'philly-vc-hourly.csv', convertPhillyVc);
