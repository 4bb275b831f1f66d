// GPU memory held: a loaded model or a live context means someone still holds the GPU.
import type { IdleRule } from '../types.ts';

export const memoryRule: IdleRule = {
  name: 'memory',
  evaluate({ windows, thresholds }) {
    const limitPct = thresholds.memoryUsedPct;
    if (limitPct === null) return { verdict: 'abstain', reason: 'memory not judged' };
    let known = false;
    for (const w of windows) {
      for (const g of w.gpus) {
        if (g.memoryUsedMaxMiB === null || !g.memoryTotalMiB) continue;
        known = true;
        const usedPct = (100 * g.memoryUsedMaxMiB) / g.memoryTotalMiB;
        if (usedPct >= limitPct) {
          return {
            verdict: 'busy',
            reason: `GPU ${g.index} holds ${usedPct.toFixed(0)} % of its memory at ${w.windowStart}`,
          };
        }
      }
    }
    return known
      ? { verdict: 'idle', reason: `memory under ${limitPct} % on every GPU` }
      : { verdict: 'abstain', reason: 'no memory readings' };
  },
};
