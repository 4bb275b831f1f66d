import { describe, expect, it } from 'vitest';
import { hourlyDemandByClass } from '../../forecasting/index.ts';
import type { Store } from '../../lib/domain/ports.ts';
import { mergeByNodeWindow } from '../../lib/domain/usage.ts';
import { DEMAND_PART, demandHistory, runForecast } from '../../lib/runs/forecast.ts';
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

  it('plans a class with hours of history at its recent level, banded by its peak, before a model can fit', async () => {
    const store = createMemoryStore();
    await store.classes.put(workloadClass({ id: 'vision', team: 'vision' }));
    // A fresh deployment: five hours of one node, 2 then 6 GPUs busy.
    const busy = [2, 2, 6, 6, 6];
    await store.rollups.put(busy.map((b, h) => rollup('n1', T0 + h * HOUR, b, 'vision')));
    const clock = manualClock(T0 + busy.length * HOUR);
    const result = await runForecast({ store, events: createMemoryEventSink(), clock }, { horizonHours: 24 });

    expect(result.failed).toEqual([]);
    const stored = (await store.forecasts.latest('vision'))!;
    expect(stored.model).toBe('recent-level');
    expect(stored.steps).toHaveLength(24);
    for (const step of stored.steps) {
      expect(step.point).toBe(6);
      expect(step.p90).toBe(6);
    }
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

/** The store, noting every range of raw rollups the run asks for. */
function recordingRollupReads(inner: Store): { store: Store; ranges: [number, number][] } {
  const ranges: [number, number][] = [];
  const store: Store = {
    ...inner,
    rollups: {
      ...inner.rollups,
      between: async (fromMs, toMs) => {
        ranges.push([fromMs, toMs]);
        return inner.rollups.between(fromMs, toMs);
      },
    },
  };
  return { store, ranges };
}

/**
 * Vision on n1 (one window an hour, the daily cycle), speech on n2 (two windows an hour, 2 GPUs then 4), and
 * five hours in the middle that nobody reported: gaps for both classes.
 */
async function richerStore() {
  const store = createMemoryStore();
  await store.classes.put(workloadClass({ id: 'vision', team: 'vision' }));
  await store.classes.put(workloadClass({ id: 'speech', team: 'speech' }));
  const reported = Array.from({ length: DAYS * 24 }, (_, h) => h).filter((h) => h < 100 || h >= 105);
  await store.rollups.put(
    reported.flatMap((h) => [
      rollup('n1', T0 + h * HOUR, visionBusy(h), 'vision'),
      rollup('n2', T0 + h * HOUR, 2, 'speech'),
      rollup('n2', T0 + h * HOUR + 5 * 60_000, 4, 'speech'),
    ]),
  );
  return store;
}

describe('forecast run on the stored hourly demand', () => {
  const endMs = T0 + DAYS * 24 * HOUR;

  it('forecasts from the stored hours exactly what it forecasts from the raw rollups', async () => {
    const fromStore = await richerStore();
    const fromRaw = await richerStore();
    const events = createMemoryEventSink();
    // The first store is filled by a run six hours earlier; the second has never stored any demand.
    await runForecast({ store: fromStore, events, clock: manualClock(endMs - 6 * HOUR) }, { historyDays: 7 });
    const recorded = recordingRollupReads(fromStore);
    const clock = manualClock(endMs);
    await runForecast({ store: recorded.store, events, clock }, { horizonHours: 24, historyDays: 7 });
    await runForecast({ store: fromRaw, events, clock }, { horizonHours: 24, historyDays: 7 });

    expect(recorded.ranges).toEqual([[endMs - 6 * HOUR, endMs]]);
    for (const classId of ['vision', 'speech']) {
      const a = await fromStore.forecasts.latest(classId);
      expect(a?.issuedAt).toBe('2024-01-09T00:00:00Z');
      expect(a).toEqual(await fromRaw.forecasts.latest(classId));
    }
    // And the series itself is today's: the hours from the raw rollups, the outage a gap, not zero.
    const classes = await fromStore.classes.list();
    const fromMs = endMs - 7 * 24 * HOUR;
    const history = await demandHistory(fromStore, classes, fromMs, endMs, 3);
    const raw = hourlyDemandByClass(
      mergeByNodeWindow(await fromStore.rollups.between(fromMs, endMs)),
      classes,
    );
    expect(history.byClass).toEqual(raw);
    expect(history.byClass.get('speech')!.find((p) => p.atMs === T0 + 102 * HOUR)).toBeUndefined();
    expect(history.byClass.get('speech')!.find((p) => p.atMs === T0 + 106 * HOUR)?.gpus).toBe(3);
    expect(history.byClass.get('speech')).toHaveLength(7 * 24 - 5);
  });

  it('fills an empty store of demand from the whole range once, and a new class fills it again', async () => {
    const inner = await seededStore();
    const { store, ranges } = recordingRollupReads(inner);
    const events = createMemoryEventSink();
    const clock = manualClock(endMs);
    const fromMs = endMs - 7 * 24 * HOUR;
    await runForecast({ store, events, clock }, { historyDays: 7 });

    expect(ranges).toEqual([[fromMs, endMs]]);
    const stored = await inner.demand.between(0, Infinity);
    expect(stored).toHaveLength(7 * 24 * 2);
    const vision = stored.filter((p) => p.classId === 'vision');
    expect(vision.map((p) => p.hourStartMs)).toEqual(
      Array.from({ length: 7 * 24 }, (_, k) => fromMs + k * HOUR),
    );
    vision.forEach((p) => expect(p.gpus).toBe(visionBusy((p.hourStartMs - T0) / HOUR)));
    expect(stored.filter((p) => p.classId === 'speech').every((p) => p.gpus === 0)).toBe(true);

    // A class added later has no stored hour: its history is still in the rollups, so the run reads them all.
    await inner.classes.put(workloadClass({ id: 'vision-h100', team: 'vision', allowedGpuModels: ['H100'] }));
    clock.advance(HOUR);
    await runForecast({ store, events, clock }, { historyDays: 7 });
    expect(ranges[1]).toEqual([fromMs + HOUR, endMs + HOUR]);
    clock.advance(HOUR);
    await runForecast({ store, events, clock }, { historyDays: 7 });
    expect(ranges[2]).toEqual([endMs - HOUR, endMs + 2 * HOUR]);
  });

  it('reads only the recompute window of rollups once the stored demand is complete', async () => {
    const inner = await seededStore();
    const events = createMemoryEventSink();
    const clock = manualClock(endMs);
    await runForecast({ store: inner, events, clock });
    const { store, ranges } = recordingRollupReads(inner);
    for (let k = 0; k < 3; k++) {
      await inner.rollups.put([rollup('n1', clock.now() + 5 * 60_000, visionBusy(DAYS * 24 + k), 'vision')]);
      clock.advance(HOUR);
      await runForecast({ store, events, clock });
    }
    await runForecast({ store, events, clock }, { recomputeHours: 6 });
    const issued = endMs + 3 * HOUR;
    expect(ranges).toEqual([
      [endMs - 2 * HOUR, endMs + HOUR],
      [endMs - HOUR, endMs + 2 * HOUR],
      [endMs, issued],
      [issued - 6 * HOUR, issued],
    ]);
    // A day without a forecast run: the rollups are read from the hour after the last one stored.
    clock.advance(24 * HOUR);
    await runForecast({ store, events, clock });
    expect(ranges.at(-1)).toEqual([issued, issued + 24 * HOUR]);
    expect(await inner.demand.between(endMs, issued)).toEqual(
      [0, 1, 2].flatMap((k) => [
        { classId: 'speech', hourStartMs: endMs + k * HOUR, gpus: 0 },
        { classId: 'vision', hourStartMs: endMs + k * HOUR, gpus: visionBusy(DAYS * 24 + k) },
      ]),
    );
  });

  it('a rollup arriving late for an hour two hours back changes that hour on the next run', async () => {
    const store = await seededStore();
    const events = createMemoryEventSink();
    const clock = manualClock(endMs);
    await runForecast({ store, events, clock });
    const late = (h: number) => rollup('n2', endMs - h * HOUR, 8, 'vision');
    const visionAt = async (atMs: number) =>
      (await store.demand.between(atMs, atMs + HOUR)).find((p) => p.classId === 'vision')?.gpus;
    expect(await visionAt(endMs - 2 * HOUR)).toBe(visionBusy(DAYS * 24 - 2));

    // Spooled batches come in after the run: one for two hours back, one too old for the window.
    await store.rollups.put([late(2), late(4)]);
    clock.advance(HOUR);
    // The history the run forecasts from takes the recomputed hour over the stored one.
    const history = await demandHistory(store, await store.classes.list(), T0, endMs + HOUR, 3);
    const seen = new Map(history.byClass.get('vision')!.map((p) => [p.atMs, p.gpus]));
    expect(seen.get(endMs - 2 * HOUR)).toBe(visionBusy(DAYS * 24 - 2) + 8);
    expect(seen.get(endMs - 4 * HOUR)).toBe(visionBusy(DAYS * 24 - 4));
    expect(await visionAt(endMs - 2 * HOUR)).toBe(visionBusy(DAYS * 24 - 2) + 8);
    expect(await visionAt(endMs - 4 * HOUR)).toBe(visionBusy(DAYS * 24 - 4));
    await runForecast({ store, events, clock });
    expect(await visionAt(endMs - 2 * HOUR)).toBe(visionBusy(DAYS * 24 - 2) + 8);
  });

  it('still forecasts when the hours cannot be stored, says so, and stores them on the next run', async () => {
    const store = await seededStore();
    const put = store.demand.put.bind(store.demand);
    let refuse = true;
    store.demand.put = async (points) => {
      if (refuse) throw new Error('table unavailable');
      return put(points);
    };
    const events = createMemoryEventSink();
    const clock = manualClock(endMs);
    const result = await runForecast({ store, events, clock }, { horizonHours: 24 });

    expect(result.demandWriteError).toBe('table unavailable');
    expect(result.forecasts.map((f) => f.classId).sort()).toEqual(['speech', 'vision']);
    expect(result.failed).toEqual([]);
    expect(events.events.map((e) => [e.detailType, 'part' in e.detail ? e.detail.part : undefined])).toEqual([
      ['Run Failed', DEMAND_PART],
    ]);
    refuse = false;
    clock.advance(HOUR);
    const next = await runForecast({ store, events, clock }, { horizonHours: 24 });
    expect(next.demandWriteError).toBeUndefined();
    expect(await store.demand.between(0, Infinity)).toHaveLength(DAYS * 24 * 2);
  });
});
