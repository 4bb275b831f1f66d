// Stalled jobs: a process that stays alive on its GPUs but keeps them at 0 % for a whole window. Reported, never killed.
import { expectedWindows, parseRfc3339, toRfc3339 } from '../../domain/time.ts';
import type { JobShare, WindowRollup } from '../../domain/usage.ts';
import type { IdleThresholds } from './thresholds.ts';

export interface StalledJob {
  jobId: string;
  nodeId: string;
  user?: string;
  project?: string;
  team?: string;
  /** Start of the first window of the stall seen. */
  since: string;
  reason: string;
}

/**
 * A job is stalled on a node when it holds a GPU in every window that reported over the stall window (and
 * enough windows reported) yet was credited no busy GPU-second in any of them.
 */
export function findStalledJobs(
  nodeId: string,
  windows: readonly WindowRollup[],
  thresholds: IdleThresholds,
  nowMs: number,
): StalledJob[] {
  const fromMs = nowMs - thresholds.windowMinutes * 60_000;
  const inWindow = windows.filter((w) => parseRfc3339(w.windowStart) >= fromMs);
  const expected = expectedWindows(fromMs, nowMs);
  if (inWindow.length === 0 || inWindow.length / expected < thresholds.minCoverage) return [];
  const seen = new Map<string, { share: JobShare; windows: number; busySeconds: number }>();
  for (const w of inWindow) {
    for (const j of w.jobs) {
      const s = seen.get(j.jobId) ?? { share: j, windows: 0, busySeconds: 0 };
      s.windows += 1;
      s.busySeconds += j.gpuSeconds;
      seen.set(j.jobId, s);
    }
  }
  return [...seen.values()]
    .filter((s) => s.windows === inWindow.length && s.busySeconds === 0)
    .map(({ share }) => ({
      jobId: share.jobId,
      nodeId,
      ...(share.user ? { user: share.user } : {}),
      ...(share.project ? { project: share.project } : {}),
      ...(share.team ? { team: share.team } : {}),
      since: toRfc3339(parseRfc3339(inWindow[0]!.windowStart)),
      reason: `alive on its GPUs for ${inWindow.length} windows at 0 % utilization`,
    }));
}
