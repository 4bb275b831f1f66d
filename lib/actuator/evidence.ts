// What the GPU readings of the recent past say about each node: are there any, which jobs hold its GPUs, who logged in.
import { parseRfc3339 } from '../domain/time.ts';
import type { WindowRollup } from '../domain/usage.ts';

/** The facts the release guards need beyond the node record, read from the rollups ingest keeps. */
export interface NodeEvidence {
  /** GPU-windows with at least one sample over the lookback: 0 means nothing says the node is idle. */
  gpuReadings: number;
  /** Jobs (or GPU processes, as `pid on GPU n`) seen in the most recent windows. */
  jobs: string[];
  lastLoginAtMs?: number;
}

export interface EvidenceWindow {
  /** Readings from here on count as GPU evidence. */
  fromMs: number;
  /** Jobs and processes from here on count as running now. */
  recentFromMs: number;
  nowMs: number;
}

/** Evidence per node id from rollups; a node absent from the map has no reading at all. */
export function evidenceFromRollups(
  rollups: readonly WindowRollup[],
  window: EvidenceWindow,
): Map<string, NodeEvidence> {
  const byNode = new Map<string, NodeEvidence>();
  for (const r of rollups) {
    const startMs = parseRfc3339(r.windowStart);
    if (startMs < window.fromMs || startMs >= window.nowMs) continue;
    const e = byNode.get(r.node.nodeId) ?? { gpuReadings: 0, jobs: [] };
    e.gpuReadings += r.gpus.filter((g) => g.sampleCount > 0).length;
    if (startMs >= window.recentFromMs) {
      for (const j of r.jobs) if (!e.jobs.includes(j.jobId)) e.jobs.push(j.jobId);
      for (const g of r.gpus) {
        const held = `a process on GPU ${g.index}`;
        if (g.processCount > 0 && !e.jobs.includes(held) && r.jobs.length === 0) e.jobs.push(held);
      }
    }
    if (r.lastLoginAt) e.lastLoginAtMs = Math.max(e.lastLoginAtMs ?? 0, parseRfc3339(r.lastLoginAt));
    byNode.set(r.node.nodeId, e);
  }
  return byNode;
}

/** GPU readings count as evidence over the idle detector's window; jobs count as running over the last three windows. */
export const EVIDENCE_LOOKBACK_MINUTES = 30;
export const RUNNING_JOB_LOOKBACK_MINUTES = 15;

/** The evidence window ending now, with the default lookbacks. */
export function evidenceWindow(
  nowMs: number,
  lookbackMinutes = EVIDENCE_LOOKBACK_MINUTES,
  jobLookbackMinutes = RUNNING_JOB_LOOKBACK_MINUTES,
): EvidenceWindow {
  return {
    fromMs: nowMs - lookbackMinutes * 60_000,
    recentFromMs: nowMs - jobLookbackMinutes * 60_000,
    nowMs,
  };
}
