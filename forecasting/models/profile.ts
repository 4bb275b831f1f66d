// Level plus daily profile: the last value carried forward, moved by a share of the recent days' average shape.
import { stepsPerDay } from '../series.ts';
import type { FitInput, Model } from './model.ts';

/** Days averaged into the profile: a week covers every weekday once, so the shape is not one day's accident. */
const PROFILE_DAYS = 7;
/** Shares of the daily shape tried: 0 is pure persistence, 1 the full profile. */
const SHAPE_SHARES = [0, 0.25, 0.5, 0.75, 1];
/** Past days on which the share is tuned (each a 1-day-ahead forecast inside the training data). */
const TUNING_DAYS = 7;

function profileBefore(values: readonly number[], end: number, day: number): Float64Array {
  const days = Math.min(PROFILE_DAYS, Math.floor(end / day));
  const profile = new Float64Array(day);
  for (let i = end - days * day; i < end; i++) profile[i % day]! += values[i]! / days;
  return profile;
}

function project(
  values: readonly number[],
  end: number,
  day: number,
  share: number,
  h: number,
  profile: Float64Array,
) {
  const level = values[end - 1]! - share * profile[(end - 1) % day]!;
  return Array.from({ length: h }, (_, k) => level + share * profile[(end + k) % day]!);
}

/**
 * y(n+k) = y(n) + s·(profile(n+k) − profile(n)), where the profile is each step of the day averaged over the
 * last week and s ∈ [0, 1] is the share of that shape that paid off over the last week of the training data.
 * Today's level persists (it beats yesterday's copy when demand drifts, as jobs of days do), and the daily
 * cycle is drawn only as strongly as it has been real. s is tuned on the training data alone.
 */
export const levelProfile: Model = {
  name: 'level-profile',
  minLength: (stepMs) => 2 * stepsPerDay(stepMs),
  fit({ values, stepMs }: FitInput) {
    const day = stepsPerDay(stepMs);
    const n = values.length;
    const errors = SHAPE_SHARES.map(() => 0);
    for (let j = 1; j <= TUNING_DAYS; j++) {
      const end = n - j * day;
      if (end < day + 1) break;
      const profile = profileBefore(values, end, day);
      SHAPE_SHARES.forEach((share, s) => {
        const forecast = project(values, end, day, share, day, profile);
        for (let k = 0; k < day; k++) errors[s]! += Math.abs(values[end + k]! - forecast[k]!);
      });
    }
    const best = errors.indexOf(Math.min(...errors));
    const share = SHAPE_SHARES[best]!;
    const profile = profileBefore(values, n, day);
    return { predict: (h) => project(values, n, day, share, h, profile) };
  },
};
