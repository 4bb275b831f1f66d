// A node must have reported recently and for most of the window before it can be called idle.
import { expectedWindows, WINDOW_MS, toRfc3339, parseRfc3339 } from '../../../domain/time.ts';
import type { IdleRule } from '../types.ts';

export const reportingRule: IdleRule = {
  name: 'reporting',
  evaluate({ node, windows, thresholds, nowMs, fromMs }) {
    // No GPU, or windows without a single GPU reading: nothing says the node is idle.
    if (node.gpuCount === 0) return { verdict: 'unknown', reason: 'the node reports 0 GPUs' };
    const last = windows.at(-1);
    if (!last) return { verdict: 'unknown', reason: `no GPU report since ${toRfc3339(fromMs)}` };
    const lastEndMs = parseRfc3339(last.windowStart) + WINDOW_MS;
    if (nowMs - lastEndMs > thresholds.staleAfterMinutes * 60_000) {
      return { verdict: 'unknown', reason: `stopped reporting after ${toRfc3339(lastEndMs)}` };
    }
    const expected = expectedWindows(fromMs, nowMs);
    const coverage = windows.length / expected;
    if (coverage < thresholds.minCoverage) {
      return {
        verdict: 'unknown',
        reason: `only ${windows.length} of ${expected} windows reported`,
      };
    }
    if (windows.every((w) => w.gpus.every((g) => g.sampleCount === 0)))
      return { verdict: 'unknown', reason: 'no GPU readings in any window' };
    const missingGpus = windows.some((w) => w.gpus.length < node.gpuCount);
    if (missingGpus)
      return { verdict: 'unknown', reason: `fewer GPUs reported than the node's ${node.gpuCount}` };
    return { verdict: 'idle', reason: `${windows.length} of ${expected} windows reported` };
  },
};
