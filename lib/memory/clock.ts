// Clocks: the system's, and a manual one that tests and `simulate` move by hand.
import type { Clock } from '../domain/ports.ts';

/** Production code takes it from lib/adapters/system-clock.ts; kept here for the tests and the simulator. */
export { systemClock } from '../adapters/system-clock.ts';

export interface ManualClock extends Clock {
  advance(ms: number): void;
  set(ms: number): void;
}

export function manualClock(startMs: number): ManualClock {
  let current = startMs;
  return {
    now: () => current,
    advance(ms) {
      if (!(ms >= 0)) throw new RangeError('a clock only moves forward');
      current += ms;
    },
    set(ms) {
      if (ms < current) throw new RangeError('a clock only moves forward');
      current = ms;
    },
  };
}

export function fixedClock(ms: number): Clock {
  return { now: () => ms };
}
