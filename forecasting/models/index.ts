// Every demand model by name, so the engine and the benches pick from one list.
import { holtWinters } from './holt-winters.ts';
import type { Model } from './model.ts';
import { levelProfile } from './profile.ts';
import { fourierRegression } from './regression.ts';
import { seasonalNaiveDaily, seasonalNaiveWeekly } from './seasonal-naive.ts';

export type { FitInput, FittedModel, Model } from './model.ts';
export { fitHoltWinters, holtWinters } from './holt-winters.ts';
export { levelProfile } from './profile.ts';
export { fourierRegression } from './regression.ts';
export { seasonalNaive, seasonalNaiveDaily, seasonalNaiveWeekly } from './seasonal-naive.ts';

export const BASE_MODELS: readonly Model[] = [
  seasonalNaiveDaily,
  seasonalNaiveWeekly,
  holtWinters,
  fourierRegression,
  levelProfile,
];
