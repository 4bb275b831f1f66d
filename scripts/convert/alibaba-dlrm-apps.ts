// Converts alibaba-gpu-dlrm-2025 into an hourly usage trace per service (team): the 15 largest, the rest as "other".
import { HOUR_MS } from '../../lib/domain/time.ts';
import { jobsToUsage } from '../../lib/sim/trace/aggregate.ts';
import type { UsageRow } from '../../lib/sim/trace/format.ts';
import { DLRM_ANCHOR_MS, DLRM_POOL, dlrmJobs } from './alibaba-dlrm.ts';
import { runTeamConverter } from './raw.ts';

/** Services kept by name; 156 series per hour would be a 5 MB file for little more than the long tail's noise. */
export const DLRM_NAMED_APPS = 15;
export const DLRM_OTHER_APPS = 'other';

/** GPU-hours per service over the trace, largest first (ties by name, so the choice is reproducible). */
export function largestTeams(rows: readonly UsageRow[], stepMs: number, count: number): string[] {
  const gpuHours = new Map<string, number>();
  for (const r of rows)
    gpuHours.set(r.team ?? '', (gpuHours.get(r.team ?? '') ?? 0) + (r.gpusBusy * stepMs) / HOUR_MS);
  return [...gpuHours]
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .slice(0, count)
    .map(([team]) => team);
}

/** Hourly GPUs running and waiting per service: the largest DLRM_NAMED_APPS by GPU-hours, the rest summed. */
export async function convertDlrmApps(rawDir: string): Promise<UsageRow[]> {
  const { jobs, endMs } = await dlrmJobs(rawDir);
  const hourlyEnd = Math.floor((endMs - DLRM_ANCHOR_MS) / HOUR_MS) * HOUR_MS + DLRM_ANCHOR_MS;
  const perApp = await jobsToUsage(jobs, { stepMs: HOUR_MS, endMs: hourlyEnd, startMs: DLRM_ANCHOR_MS });
  const named = new Set(largestTeams(perApp, HOUR_MS, DLRM_NAMED_APPS));
  const merged = new Map<string, UsageRow>();
  for (const r of perApp) {
    const team = named.has(r.team ?? '') ? r.team! : DLRM_OTHER_APPS;
    const key = `${r.atMs}|${team}`;
    const row = merged.get(key) ?? { atMs: r.atMs, pool: DLRM_POOL, team, gpusBusy: 0, gpusPending: 0 };
    row.gpusBusy += r.gpusBusy;
    row.gpusPending = (row.gpusPending ?? 0) + (r.gpusPending ?? 0);
    merged.set(key, row);
  }
  return [...merged.values()];
}

if (import.meta.url === `file://${process.argv[1]}`)
  await runTeamConverter('alibaba-dlrm-apps.ts', 'alibaba-dlrm-apps-hourly.csv', convertDlrmApps);
