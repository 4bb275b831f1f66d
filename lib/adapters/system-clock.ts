// The real clock of the deployed runs; tests and `simulate` hand the runs a manual one instead.
import type { Clock } from '../domain/ports.ts';

export const systemClock: Clock = { now: () => Date.now() };
