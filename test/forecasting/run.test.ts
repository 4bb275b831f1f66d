import { describe, expect, it } from 'vitest';
import { runForecast } from '../../lib/runs/forecast.ts';
import { createMemoryStore } from '../../lib/memory/store.ts';
import { createMemoryEventSink } from '../../lib/memory/event-sink.ts';
import { manualClock } from '../../lib/memory/clock.ts';
import { rollup, workloadClass } from './helpers.ts';

const HOUR = 3_600_000;
const T0 = Date.parse('2024-01-01T00:00:00Z');
const DAYS = 8;
/** Busy GPUs of the vision team's node by hour of the day: a clean daily cycle between 1 and 7. */
const CYCLE = [4, 5, 6, 7, 7, 7, 6, 5, 4, 3, 2, 1, 1, 1, 2, 3, 4, 4, 4, 4, 4, 4, 4, 4];
const visionBusy = (h: number) => CYCLE[h % 24]!;

async function seededStore() {
  const store = createMemoryStore();
  await store.classes.put(workloadClass({ id: 'vision', team: 'vision' }));
  await store.classes.put(workloadClass({ id: 'speech', team: 'speech' }));
  // One window an hour: the node's other windows are missing, as if batches were lost; demand holds.
  await store.rollups.put(
    Array.from({ length: DAYS * 24 }, (_, h) => rollup('n1', T0 + h * HOUR, visionBusy(h), 'vision')),
  );
  return store;
}

describe('forecast run', () => {
  it('forecasts each class from the store, and one class that fails does not stop the others', async () => {
    const store = await seededStore();
    await store.classes.put(workloadClass({ id: 'audio', team: 'audio' }));
    const put = store.forecasts.put.bind(store.forecasts);
    store.forecasts.put = async (f) => {
      if (f.classId === 'speech') throw new Error('write refused');
      return put(f);
    };
    const events = createMemoryEventSink();
    const clock = manualClock(T0 + DAYS * 24 * HOUR + 10 * 60_000);
    const result = await runForecast({ store, events, clock }, { horizonHours: 24 });

    expect(result.failed).toEqual([{ classId: 'speech', error: 'write refused' }]);
    expect(result.forecasts.map((f) => f.classId).sort()).toEqual(['audio', 'vision']);
    // A class that ran nothing is forecast at 0, not left out.
    expect((await store.forecasts.latest('audio'))!.steps.every((s) => s.point === 0 && s.p99 === 0)).toBe(
      true,
    );
    const stored = (await store.forecasts.latest('vision'))!;
    expect(stored.issuedAt).toBe('2024-01-09T00:00:00Z');
    expect(stored.steps).toHaveLength(24);
    expect(stored.scores[0]!.model).toBe(stored.model);
    // A clean cycle: the forecast of each hour is within half a GPU of what the cycle says.
    stored.steps.forEach((s, k) => expect(Math.abs(s.point - visionBusy(DAYS * 24 + k))).toBeLessThan(0.5));
    expect(events.events.map((e) => [e.detailType, 'part' in e.detail ? e.detail.part : undefined])).toEqual([
      ['Run Failed', 'speech'],
    ]);
  });

  it('emits Demand Anomaly when demand stays above the p99 band for the window', async () => {
    const store = await seededStore();
    const events = createMemoryEventSink();
    const clock = manualClock(T0 + DAYS * 24 * HOUR);
    await runForecast({ store, events, clock }, { horizonHours: 24 });
    // Three hours of a second node fully busy on top of the cycle.
    const surge = [0, 1, 2].flatMap((k) => {
      const h = DAYS * 24 + k;
      return [rollup('n1', T0 + h * HOUR, visionBusy(h), 'vision'), rollup('n2', T0 + h * HOUR, 8, 'vision')];
    });
    await store.rollups.put(surge);
    clock.advance(3 * HOUR);
    const result = await runForecast({ store, events, clock }, { horizonHours: 24, anomalyWindowHours: 3 });

    expect(result.anomalies).toHaveLength(1);
    const anomaly = events.events.find((e) => e.detailType === 'Demand Anomaly')!;
    expect(anomaly.detail).toMatchObject({
      classId: 'vision',
      direction: 'above',
      at: '2024-01-09T02:00:00Z',
      actualGpus: visionBusy(DAYS * 24 + 2) + 8,
      windowHours: 3,
    });
  });
});
