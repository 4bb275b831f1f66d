// GPU power draw: work that the utilization counter misses (copy engines, NVLink traffic) still draws power.
import type { IdleRule } from '../types.ts';

export const powerRule: IdleRule = {
  name: 'power',
  evaluate({ windows, thresholds }) {
    const limitW = thresholds.powerW;
    if (limitW === null) return { verdict: 'abstain', reason: 'power not judged' };
    let known = false;
    for (const w of windows) {
      for (const g of w.gpus) {
        if (g.sampledSeconds <= 0 || g.energyJoules <= 0) continue;
        known = true;
        const meanW = g.energyJoules / g.sampledSeconds;
        if (meanW >= limitW) {
          return {
            verdict: 'busy',
            reason: `GPU ${g.index} drew ${meanW.toFixed(0)} W at ${w.windowStart}`,
          };
        }
      }
    }
    return known
      ? { verdict: 'idle', reason: `power under ${limitW} W on every GPU` }
      : { verdict: 'abstain', reason: 'no power readings' };
  },
};
