// Seasonal naive: tomorrow repeats today (daily) or next week repeats this week (weekly). The baseline.
import { DAY_MS } from '../../lib/domain/time.ts';
import type { FitInput, Model } from './model.ts';

export function seasonalNaive(name: string, periodMs: number): Model {
  const period = (stepMs: number) => Math.max(1, Math.round(periodMs / stepMs));
  return {
    name,
    minLength: period,
    fit({ values, stepMs }: FitInput) {
      const p = period(stepMs);
      const last = values.slice(-p);
      return { predict: (h) => Array.from({ length: h }, (_, k) => last[k % p]!) };
    },
  };
}

export const seasonalNaiveDaily = seasonalNaive('seasonal-naive-daily', DAY_MS);
export const seasonalNaiveWeekly = seasonalNaive('seasonal-naive-weekly', 7 * DAY_MS);
