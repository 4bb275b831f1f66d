// The forecast run reconciles classes of one GPU requirement to their stored total and calibrates p90 online.
import { describe, expect, it } from 'vitest';
import { forecastSeries, toForecast } from '../../forecasting/index.ts';
import type { DemandHour } from '../../lib/domain/demand.ts';
import type { Forecast } from '../../lib/domain/forecast.ts';
import type { Store } from '../../lib/domain/ports.ts';
import { parseRfc3339 } from '../../lib/domain/time.ts';
import { manualClock } from '../../lib/memory/clock.ts';
import { createMemoryEventSink } from '../../lib/memory/event-sink.ts';
import { createMemoryStore } from '../../lib/memory/store.ts';
import { runForecast, type ForecastRunResult } from '../../lib/runs/forecast.ts';
import { workloadClass } from '../forecasting/helpers.ts';
import { freshDynamoStore } from '../support/dynamo.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.parse('2024-03-01T00:00:00Z');
/** The group of every class with the default requirement (any GPU, PCIe, no memory floor). */
const SHARED_TOTAL = '__total__:0GiB-pcie';

/** A deterministic noise in [-1, 1): the same series every run. */
function noise(seed: number): number {
  const x = Math.sin(seed * 12.9898 + 78.233) * 43758.5453;
  return 2 * (x - Math.floor(x)) - 1;
}

/** Hourly demand with a daily cycle of `amplitude` around `base`, and noise of ±`jitter`. */
function cycle(classId: string, fromMs: number, hours: number, base: number, amplitude: number, jitter = 1) {
  return Array.from({ length: hours }, (_, h): DemandHour => {
    const atMs = fromMs + h * HOUR;
    const hourOfDay = (atMs / HOUR) % 24;
    const gpus =
      base + amplitude * Math.sin((2 * Math.PI * hourOfDay) / 24) + jitter * noise(atMs / HOUR + base);
    return { classId, hourStartMs: atMs, gpus: Math.max(0, gpus) };
  });
}

async function run(store: Store, atMs: number, config: Parameters<typeof runForecast>[1] = {}) {
  return runForecast(
    { store, events: createMemoryEventSink(), clock: manualClock(atMs + 5 * 60_000) },
    { horizonHours: 24, ...config },
  );
}

const stepAt = (f: Forecast, atMs: number) => f.steps.find((s) => parseRfc3339(s.at) === atMs)!;

describe('forecast run: classes of one GPU requirement', () => {
  it('stores each class reconciled to the stored total of its requirement; a class alone is forecast as before', async () => {
    const store = createMemoryStore();
    await store.classes.put(workloadClass({ id: 'vision', team: 'vision' }));
    await store.classes.put(workloadClass({ id: 'speech', team: 'speech' }));
    await store.classes.put(workloadClass({ id: 'llm', team: 'llm', minGpuMemoryGiB: 80 }));
    const days = 15;
    await store.demand.put([
      ...cycle('vision', T0, days * 24, 10, 4),
      ...cycle('speech', T0, days * 24, 6, 3),
      ...cycle('llm', T0, days * 24, 20, 5),
    ]);
    const issuedMs = T0 + days * DAY;
    const result = await run(store, issuedMs);

    expect(result.failed).toEqual([]);
    expect(result.totals).toEqual([
      { classId: SHARED_TOTAL, classes: ['speech', 'vision'], reconciliation: expect.any(String) },
    ]);
    const total = (await store.forecasts.latest(SHARED_TOTAL))!;
    const vision = (await store.forecasts.latest('vision'))!;
    const speech = (await store.forecasts.latest('speech'))!;
    expect(total.steps).toHaveLength(24);
    // Coherent: the teams add up to the total at every hour.
    total.steps.forEach((s, k) =>
      expect(vision.steps[k]!.point + speech.steps[k]!.point).toBeCloseTo(s.point, 9),
    );
    expect(result.forecasts.find((f) => f.classId === 'vision')).toMatchObject({ group: SHARED_TOTAL });

    // llm has nothing to share: its forecast is its own series' forecast at p90, as before.
    const llm = (await store.forecasts.latest('llm'))!;
    const alone = forecastSeries(
      {
        startMs: T0,
        stepMs: HOUR,
        values: (await store.demand.between(T0, issuedMs))
          .filter((p) => p.classId === 'llm')
          .map((p) => p.gpus),
      },
      { horizon: 24, origins: 4 },
    );
    expect(llm).toEqual(toForecast('llm', issuedMs, HOUR, alone));
    expect(await store.forecasts.latest('__total__:80GiB-pcie')).toBeUndefined();
  });
});

/** Each store the runs keep calibrations in: in memory and DynamoDB (dynalite). */
const STORES: [string, () => Promise<Store>][] = [
  ['memory', async () => createMemoryStore()],
  ['dynalite', async () => (await freshDynamoStore()).store],
];

/** Seeds one class with 10 days of demand, forecasts at `issuedMs`, then makes the next day's demand `surge` above. */
async function seedWithSurge(store: Store, surge: number) {
  await store.classes.put(workloadClass({ id: 'vision', team: 'vision' }));
  const issuedMs = T0 + 10 * DAY;
  await store.demand.put(cycle('vision', T0, 10 * 24, 10, 4));
  return {
    issuedMs,
    /** The day after the first forecast: the cycle, `surge` GPUs higher. */
    nextDay: cycle('vision', issuedMs, 24, 10 + surge, 4),
  };
}

describe.each(STORES)('forecast run: online p90 calibration (%s store)', (_name, makeStore) => {
  it('a class whose forecast was exceeded gets a higher p90 level and a wider band; coverage is reported', async () => {
    const calibrated = await makeStore();
    const { issuedMs, nextDay } = await seedWithSurge(calibrated, 40);
    await run(calibrated, issuedMs, { calibrationStepSize: 0.05 });
    const first = (await calibrated.forecasts.latest('vision'))!;
    await calibrated.demand.put(nextDay);
    const result = await run(calibrated, issuedMs + DAY, { calibrationStepSize: 0.05 });

    // Every hour of the day-ahead forecast was above its p90: coverage 0, level 0.9 + 0.05 × (1 − 0.1).
    const row = result.calibration.find((c) => c.classId === 'vision')!;
    expect(row).toMatchObject({
      scored: 1,
      scoredIssuedAt: first.issuedAt,
      knownHours: 24,
      coveredHours: 0,
      p90Coverage: 0,
    });
    expect(row.p90Level).toBeCloseTo(0.945, 9);
    expect(result.p90Coverage).toBe(0);
    expect(await calibrated.calibration.get('vision')).toMatchObject({
      p90Level: row.p90Level,
      scoredIssuedAt: first.issuedAt,
      scoredForecasts: 1,
      lastMissShare: 1,
    });

    // The same history without the scored forecast: the band is drawn at 0.9, and is narrower.
    const uncalibrated = await makeStore();
    await seedWithSurge(uncalibrated, 40);
    await uncalibrated.demand.put(nextDay);
    const plain = await run(uncalibrated, issuedMs + DAY, { calibrationStepSize: 0.05 });
    expect(plain.calibration.find((c) => c.classId === 'vision')).toMatchObject({
      p90Level: 0.9,
      scored: 0,
      p90Coverage: null,
    });
    const wide = (await calibrated.forecasts.latest('vision'))!;
    const narrow = (await uncalibrated.forecasts.latest('vision'))!;
    wide.steps.forEach((s, k) => {
      expect(s.point).toBeCloseTo(narrow.steps[k]!.point, 9);
      expect(s.p90).toBeGreaterThanOrEqual(narrow.steps[k]!.p90 - 1e-9);
    });
    const widening = wide.steps.reduce((s, step, k) => s + step.p90 - narrow.steps[k]!.p90, 0);
    expect(widening).toBeGreaterThan(0);
  });

  it('reports the realised coverage of the day-ahead forecast, per class and overall', async () => {
    const store = await makeStore();
    await store.classes.put(workloadClass({ id: 'speech', team: 'speech' }));
    const { issuedMs, nextDay } = await seedWithSurge(store, 2);
    await store.demand.put(cycle('speech', T0, 10 * 24, 6, 3));
    await run(store, issuedMs);
    const vision = (await store.forecasts.latest('vision'))!;
    const speech = (await store.forecasts.latest('speech'))!;
    const total = (await store.forecasts.latest(SHARED_TOTAL))!;
    const speechDay = cycle('speech', issuedMs, 24, 6, 3, 2.5);
    await store.demand.put([...nextDay, ...speechDay]);
    const result = await run(store, issuedMs + DAY);

    // Counted here from what was stored and what came.
    const covered = (f: Forecast, day: DemandHour[]) =>
      day.filter((d) => d.gpus <= stepAt(f, d.hourStartMs).p90).length;
    const coveredVision = covered(vision, nextDay);
    const coveredSpeech = covered(speech, speechDay);
    const totalDay = nextDay.map((d, h) => ({ ...d, gpus: d.gpus + speechDay[h]!.gpus }));
    const byClass = Object.fromEntries(result.calibration.map((c) => [c.classId, c]));
    expect(byClass.vision).toMatchObject({ knownHours: 24, coveredHours: coveredVision });
    expect(byClass.speech).toMatchObject({ knownHours: 24, coveredHours: coveredSpeech });
    expect(byClass[SHARED_TOTAL]).toMatchObject({ knownHours: 24, coveredHours: covered(total, totalDay) });
    expect(result.p90Coverage).toBeCloseTo((coveredVision + coveredSpeech) / 48, 12);
    // A few hours missed and a few covered: the report is not all-or-nothing.
    expect(coveredVision + coveredSpeech).toBeGreaterThan(0);
    expect(coveredVision + coveredSpeech).toBeLessThan(48);
  });

  it('a rerun of the same hour reports the same coverage and does not move the level again', async () => {
    const store = await makeStore();
    const { issuedMs, nextDay } = await seedWithSurge(store, 40);
    await run(store, issuedMs, { calibrationStepSize: 0.05 });
    await store.demand.put(nextDay);
    const once = await run(store, issuedMs + DAY, { calibrationStepSize: 0.05 });
    const firstBand = (await store.forecasts.latest('vision'))!;
    const again = await run(store, issuedMs + DAY, { calibrationStepSize: 0.05 });

    const row = (r: ForecastRunResult) => r.calibration.find((c) => c.classId === 'vision')!;
    expect(row(again)).toEqual({ ...row(once), scored: 0 });
    expect(row(again).p90Level).toBeCloseTo(0.945, 9);
    expect(await store.calibration.get('vision')).toMatchObject({
      scoredForecasts: 1,
      p90Level: row(once).p90Level,
    });
    expect((await store.forecasts.latest('vision'))!.steps).toEqual(firstBand.steps);
  });
});

describe('forecast run: a calibration that cannot be read', () => {
  it('still forecasts every class at p90 and says why', async () => {
    const store = createMemoryStore();
    const { issuedMs } = await seedWithSurge(store, 0);
    store.calibration.get = async () => {
      throw new Error('AccessDeniedException: GetItem');
    };
    const result = await run(store, issuedMs);
    expect(result.failed).toEqual([]);
    expect(result.forecasts.map((f) => f.classId)).toEqual(['vision']);
    expect(result.calibration).toEqual([
      expect.objectContaining({
        classId: 'vision',
        p90Level: 0.9,
        error: 'AccessDeniedException: GetItem',
      }),
    ]);
  });
});

describe.each(STORES)('calibration store (%s)', (_name, makeStore) => {
  it('advances only to a later scored forecast', async () => {
    const store = await makeStore();
    const at = (hour: number) => new Date(T0 + hour * HOUR).toISOString().replace('.000Z', 'Z');
    const state = (hour: number, p90Level: number) => ({
      classId: 'vision',
      p90Level,
      scoredIssuedAt: at(hour),
      scoredForecasts: hour,
      lastMissShare: 0.5,
    });
    expect(await store.calibration.get('vision')).toBeUndefined();
    expect(await store.calibration.advance(state(5, 0.91))).toBe('stored');
    // A retried run scoring the same forecast, or a late one scoring an older forecast, changes nothing.
    expect(await store.calibration.advance(state(5, 0.93))).toBe('stale');
    expect(await store.calibration.advance(state(4, 0.95))).toBe('stale');
    expect(await store.calibration.get('vision')).toEqual(state(5, 0.91));
    expect(await store.calibration.advance(state(6, 0.92))).toBe('stored');
    expect(await store.calibration.get('vision')).toEqual(state(6, 0.92));
  });
});
