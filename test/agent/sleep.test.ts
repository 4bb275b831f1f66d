import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { abortableSleep, type Timers } from '../../lib/agent/sleep.ts';

/** Timers that fire on the next turn, so a day of pauses takes no time. */
const immediateTimers: Timers = {
  set: (done) => setImmediate(done),
  clear: (handle) => clearImmediate(handle as NodeJS.Immediate),
};

describe('abortableSleep', () => {
  it('leaves no listener behind on the agent’s signal however many pauses it takes', async () => {
    const controller = new AbortController();
    const sleep = abortableSleep(controller.signal, immediateTimers);
    for (let i = 0; i < 500; i++) await sleep(10_000);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('ends a pause at once when the agent is told to stop', async () => {
    const controller = new AbortController();
    const sleep = abortableSleep(controller.signal);
    const started = Date.now();
    const pause = sleep(60_000);
    controller.abort();
    await pause;
    expect(Date.now() - started).toBeLessThan(1_000);
    await sleep(60_000); // already stopped: returns at once
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
