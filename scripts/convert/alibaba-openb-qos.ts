// Converts alibaba-gpu-openb-2023's pod list into an hourly usage trace per QoS class (team) (rule in its SOURCE.md).
import { join } from 'node:path';
import { HOUR_MS } from '../../lib/domain/time.ts';
import { jobsToUsage } from '../../lib/sim/trace/aggregate.ts';
import type { JobRow, UsageRow } from '../../lib/sim/trace/format.ts';
import { rawNumber, readRawCsv, runTeamConverter } from './raw.ts';

/** Times count seconds from an unstated start; we anchor second 0 at a Monday 00:00 UTC of the paper's year. */
export const OPENB_ANCHOR_MS = Date.parse('2023-01-02T00:00:00Z');
export const OPENB_POOL = 'onprem:alibaba:openb:gpu';

/** GPUs a pod holds: a whole count for multi-GPU pods, the shared fraction (gpu_milli / 1000) for one-GPU pods. */
export function podGpus(numGpu: number, gpuMilli: number | null): number {
  if (numGpu <= 0) return 0;
  if (numGpu === 1 && gpuMilli !== null && gpuMilli > 0) return Math.min(1, gpuMilli / 1000);
  return numGpu;
}

/**
 * Every GPU pod is a job of its QoS class: waiting from creation to scheduling (or to deletion if never
 * scheduled), running from scheduling to deletion. The list is a snapshot: every pod in it is deleted after
 * the earliest deletion time, and pods that ended before that are missing, so only the hours from the first
 * whole hour at or after the earliest deletion are complete; the trace keeps those alone.
 */
export async function convertOpenbQos(rawDir: string): Promise<UsageRow[]> {
  const jobs: JobRow[] = [];
  let firstDeletion = Infinity;
  let lastDeletion = 0;
  for await (const r of readRawCsv(join(rawDir, 'openb_pod_list_default.csv'))) {
    const gpus = podGpus(rawNumber(r.num_gpu) ?? 0, rawNumber(r.gpu_milli));
    const created = rawNumber(r.creation_time);
    const scheduled = rawNumber(r.scheduled_time);
    const deleted = rawNumber(r.deletion_time);
    if (gpus <= 0 || created === null || deleted === null) continue;
    firstDeletion = Math.min(firstDeletion, deleted);
    lastDeletion = Math.max(lastDeletion, deleted);
    const at = (s: number) => OPENB_ANCHOR_MS + s * 1000;
    jobs.push({
      jobId: r.name ?? '',
      team: r.qos ?? '',
      submitMs: at(created),
      // Never scheduled: it waited until deleted, so it runs from deletion (for no time).
      startMs: at(scheduled ?? deleted),
      endMs: at(deleted),
      gpus,
    });
  }
  const startMs = Math.ceil((OPENB_ANCHOR_MS + firstDeletion * 1000) / HOUR_MS) * HOUR_MS;
  const endMs = Math.floor((OPENB_ANCHOR_MS + lastDeletion * 1000) / HOUR_MS) * HOUR_MS;
  const rows = await jobsToUsage(jobs, { stepMs: HOUR_MS, endMs, startMs });
  return rows.map((r) => ({ ...r, pool: OPENB_POOL }));
}

if (import.meta.url === `file://${process.argv[1]}`)
  await runTeamConverter('alibaba-openb-qos.ts', 'alibaba-openb-qos-hourly.csv', convertOpenbQos);
