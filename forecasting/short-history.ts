// A forecast for a class with less than a day of history: its recent level, banded by the most it has used.
import type { SeriesForecast } from './engine.ts';

export const SHORT_HISTORY_MODEL = 'recent-level';

/** The last hours a fresh class is judged on: long enough to see a job start, short enough to follow it. */
const RECENT_HOURS = 3;

/**
 * Until a model can be fitted (a day and an hour of history), the class is planned at what it used lately, and
 * its p90 and p99 at the most it has used so far: planning a busy new cluster at zero would recommend releasing
 * the very nodes it runs on.
 */
export function shortHistoryForecast(
  values: readonly number[],
  horizon: number,
): Pick<SeriesForecast, 'model' | 'scores' | 'point' | 'p50' | 'p90' | 'p99'> {
  const known = values.filter((v) => Number.isFinite(v));
  const recent = known.slice(-RECENT_HOURS);
  const level = recent.length === 0 ? 0 : recent.reduce((a, b) => a + b, 0) / recent.length;
  const peak = Math.max(level, ...known);
  const flat = (v: number) => Array.from({ length: horizon }, () => Math.max(0, v));
  return {
    model: SHORT_HISTORY_MODEL,
    scores: [{ model: SHORT_HISTORY_MODEL, mase: null, smape: null, pinball: null, coverageP90: null }],
    point: flat(level),
    p50: flat(level),
    p90: flat(peak),
    p99: flat(peak),
  };
}
