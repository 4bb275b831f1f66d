// GPU utilization (and SM activity where DCGM reports it): the main signal of work on a GPU.
import type { IdleRule } from '../types.ts';

export const utilizationRule: IdleRule = {
  name: 'utilization',
  evaluate({ windows, thresholds }) {
    let peak = 0;
    for (const w of windows) {
      for (const g of w.gpus) {
        // A GPU with no utilization reading at all cannot be judged quiet.
        if (g.utilizationMeanPct === null && g.smActivityMeanPct === null) {
          return { verdict: 'unknown', reason: `GPU ${g.index} gave no utilization at ${w.windowStart}` };
        }
        const util = g.utilizationMeanPct ?? 0;
        if (util >= thresholds.utilizationPct) {
          return {
            verdict: 'busy',
            reason: `GPU ${g.index} at ${util.toFixed(1)} % utilization at ${w.windowStart}`,
          };
        }
        peak = Math.max(peak, util);
      }
    }
    return {
      verdict: 'idle',
      reason: `every GPU under ${thresholds.utilizationPct} % (peak ${peak.toFixed(1)} %)`,
    };
  },
};

export const smActivityRule: IdleRule = {
  name: 'sm-activity',
  evaluate({ windows, thresholds }) {
    let known = false;
    for (const w of windows) {
      for (const g of w.gpus) {
        if (g.smActivityMeanPct === null) continue;
        known = true;
        if (g.smActivityMeanPct >= thresholds.smActivityPct) {
          return {
            verdict: 'busy',
            reason: `GPU ${g.index} at ${g.smActivityMeanPct.toFixed(1)} % SM activity at ${w.windowStart}`,
          };
        }
      }
    }
    return known
      ? { verdict: 'idle', reason: `SM activity under ${thresholds.smActivityPct} %` }
      : { verdict: 'abstain', reason: 'no SM activity reported' };
  },
};
