// From 5-minute window rollups to hourly demand per workload class (busy GPUs, plus the queue where known).
import type { DemandPoint } from '../lib/domain/forecast.ts';
import { HOUR_MS, parseRfc3339, WINDOW_SECONDS } from '../lib/domain/time.ts';
import type { WindowRollup } from '../lib/domain/usage.ts';
import type { WorkloadClass } from '../lib/domain/workload.ts';

/** The class a team's work on a GPU model belongs to: the first class of that team that allows the model. */
/** Whether a GPU as a node reports it ("NVIDIA A100-SXM4-40GB") is a model a class allows ("A100"). */
export type GpuModelMatch = (allowed: string, reported: string) => boolean;

const sameName: GpuModelMatch = (allowed, reported) => allowed === reported;

export function classFor(
  classes: readonly WorkloadClass[],
  team: string | undefined,
  project: string | undefined,
  gpuModel: string,
  modelMatches: GpuModelMatch = sameName,
): WorkloadClass | undefined {
  return classes.find(
    (c) =>
      c.team === team &&
      (c.project === undefined || c.project === project) &&
      (c.allowedGpuModels.length === 0 || c.allowedGpuModels.some((m) => modelMatches(m, gpuModel))),
  );
}

/**
 * Hourly GPUs busy per class. A window's busy GPUs go to its jobs' teams by GPU-seconds; a window with no job
 * labels goes to the node's team. A node counts in an hour by the mean of the windows it reported, so a node
 * that misses some windows (an agent restart, a lost batch) is not read as a drop in demand; an hour with no
 * rollup at all is missing (a gap), not zero. Rollups must already be merged per (node, window).
 */
export function hourlyDemandByClass(
  rollups: readonly WindowRollup[],
  classes: readonly WorkloadClass[],
  modelMatches: GpuModelMatch = sameName,
): Map<string, DemandPoint[]> {
  // class → hour → node → busy GPUs summed over the windows reported, and how many windows.
  const cells = new Map<string, Map<number, Map<string, { busy: number; windows: number }>>>();
  const hoursSeen = new Set<number>();
  for (const r of rollups) {
    const hour = Math.floor(parseRfc3339(r.windowStart) / HOUR_MS) * HOUR_MS;
    hoursSeen.add(hour);
    const gpuModel = r.gpus[0]?.model ?? '';
    const busyGpus = r.gpus.reduce((s, g) => s + g.busySeconds, 0) / WINDOW_SECONDS;
    const jobSeconds = r.jobs.reduce((s, j) => s + j.gpuSeconds, 0);
    const shares =
      jobSeconds > 0
        ? r.jobs.map((j) => ({
            team: j.team ?? r.node.labels.team,
            project: j.project,
            busy: (busyGpus * j.gpuSeconds) / jobSeconds,
          }))
        : [{ team: r.node.labels.team, project: r.node.labels.project, busy: busyGpus }];
    const touched = new Set<string>();
    for (const share of shares) {
      const workload = classFor(classes, share.team, share.project, gpuModel, modelMatches);
      if (!workload) continue;
      let byHour = cells.get(workload.id);
      if (!byHour) cells.set(workload.id, (byHour = new Map()));
      let byNode = byHour.get(hour);
      if (!byNode) byHour.set(hour, (byNode = new Map()));
      const cell = byNode.get(r.node.nodeId) ?? { busy: 0, windows: 0 };
      cell.busy += share.busy;
      // A window counts once per node and class even when several of its jobs belong to the class.
      const key = `${workload.id}|${r.node.nodeId}`;
      if (!touched.has(key)) cell.windows++;
      touched.add(key);
      byNode.set(r.node.nodeId, cell);
    }
  }
  const hours = [...hoursSeen].sort((a, b) => a - b);
  const out = new Map<string, DemandPoint[]>();
  for (const c of classes) {
    const byHour = cells.get(c.id);
    out.set(
      c.id,
      hours.map((atMs) => {
        let gpus = 0;
        for (const cell of byHour?.get(atMs)?.values() ?? []) gpus += cell.busy / cell.windows;
        return { atMs, gpus };
      }),
    );
  }
  return out;
}

/** True demand per step: busy plus pending where a queue reading exists for that step. */
export function addPending(busy: readonly DemandPoint[], pending: readonly DemandPoint[]): DemandPoint[] {
  const queue = new Map(pending.map((p) => [p.atMs, p.gpus]));
  return busy.map((p) => ({ atMs: p.atMs, gpus: p.gpus + (queue.get(p.atMs) ?? 0) }));
}
