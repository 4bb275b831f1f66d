// The agent's pause between samples, cut short when the agent is told to stop.
export interface Timers {
  set(done: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const realTimers: Timers = {
  set: (done, ms) => setTimeout(done, ms),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * Each pause removes its abort listener when it ends: one listener left per sample on the agent's
 * long-lived signal grew the heap by megabytes a day.
 */
export function abortableSleep(signal: AbortSignal, timers: Timers = realTimers) {
  return (ms: number) =>
    new Promise<void>((done) => {
      if (signal.aborted) return done();
      const onAbort = () => {
        timers.clear(handle);
        done();
      };
      const handle = timers.set(() => {
        signal.removeEventListener('abort', onAbort);
        done();
      }, ms);
      signal.addEventListener('abort', onAbort, { once: true });
    });
}
