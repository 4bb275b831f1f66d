// The forecast run (hourly): demand per workload class from the rollups, fit + select + band, store, flag anomalies.
import { z } from 'zod';
import {
  anomalyEvent,
  cleanSeries,
  findAnomaly,
  forecastSeries,
  hourlyDemandByClass,
  seriesBetween,
  toForecast,
  type AnomalyFinding,
} from '../../forecasting/index.ts';
import type { DemandHour } from '../domain/demand.ts';
import { makeEvent, type DomainEvent } from '../domain/events.ts';
import type { DemandPoint } from '../domain/forecast.ts';
import type { Clock, EventSink, Store } from '../domain/ports.ts';
import { DAY_MS, HOUR_MS, hourStart, toRfc3339 } from '../domain/time.ts';
import { mergeByNodeWindow } from '../domain/usage.ts';
import type { WorkloadClass } from '../domain/workload.ts';

/** EventBridge takes at most 10 entries per PutEvents. */
const EVENTS_PER_PUT = 10;

export const zForecastConfig = z.object({
  /** Hours forecast ahead: a week, what the planner reads and what the weekly report shows as the coming week. */
  horizonHours: z
    .number()
    .int()
    .min(1)
    .max(24 * 14)
    .default(168),
  /** Days of history read from the store; 4 weeks cover the weekly cycle four times. */
  historyDays: z.number().int().min(2).max(120).default(28),
  /** Backtest origins that score and select the models. */
  origins: z.number().int().min(1).max(28).default(4),
  /** Hours in a row outside the p99 band before a `Demand Anomaly`. */
  anomalyWindowHours: z.number().int().min(1).max(48).default(3),
  /**
   * Latest hours recomputed from raw rollups every run, however complete the stored demand looks: agents spool
   * through outages and send late, so an hour may still change after it ends. At least the hour just ended.
   */
  recomputeHours: z.number().int().min(1).max(168).default(3),
});
export type ForecastConfig = z.infer<typeof zForecastConfig>;
export type ForecastConfigInput = z.input<typeof zForecastConfig>;

export interface ForecastPorts {
  store: Store;
  events: EventSink;
  clock: Clock;
  log?: (entry: Record<string, unknown>) => void;
}

export interface ForecastRunResult {
  issuedAt: string;
  forecasts: { classId: string; model: string; mase: number | null }[];
  anomalies: AnomalyFinding[];
  failed: { classId: string; error: string }[];
  /** Events the bus refused, with why. */
  eventFailures: string[];
  /** Why the recomputed hours of demand could not be stored (the forecasts were still made from them). */
  demandWriteError?: string;
}

/**
 * Forecasts every workload class from the hour that has just begun. Each class is its own try: a class
 * without data or whose fit fails is reported (and a `Run Failed` event names it) while the others go on.
 */
export async function runForecast(
  ports: ForecastPorts,
  configInput: ForecastConfigInput = {},
): Promise<ForecastRunResult> {
  const config = zForecastConfig.parse(configInput);
  const log = ports.log ?? (() => {});
  const issuedMs = hourStart(ports.clock.now());
  const fromMs = issuedMs - config.historyDays * DAY_MS;
  const classes = await ports.store.classes.list();
  const result: ForecastRunResult = {
    issuedAt: toRfc3339(issuedMs),
    forecasts: [],
    anomalies: [],
    failed: [],
    eventFailures: [],
  };
  const events: DomainEvent[] = [];
  const history = await demandHistory(ports.store, classes, fromMs, issuedMs, config.recomputeHours);
  const demand = history.byClass;
  log({
    run: 'forecast',
    part: DEMAND_PART,
    storedPoints: history.storedPoints,
    recomputedFrom: toRfc3339(history.recomputedFromMs),
    backfill: history.backfill,
  });
  if (history.writeError !== undefined) {
    // The forecast goes on from what was computed. The next run recomputes from the hour after the latest one
    // stored, so a write that failed whole is redone; one cut short part way can leave older hours unstored.
    result.demandWriteError = history.writeError;
    events.push(
      makeEvent('Run Failed', {
        schemaVersion: '1',
        run: 'forecast',
        part: DEMAND_PART,
        at: toRfc3339(issuedMs),
        error: history.writeError,
      }),
    );
    log({ run: 'forecast', part: DEMAND_PART, error: history.writeError });
  }

  for (const workload of classes) {
    try {
      const actual = demand.get(workload.id) ?? [];
      const series = seriesBetween(actual, HOUR_MS, fromMs, issuedMs);
      if (!series.values.some(Number.isFinite))
        throw new Error(`no usage in the last ${config.historyDays} days`);

      const previous = await ports.store.forecasts.latest(workload.id);
      if (previous) {
        const finding = findAnomaly(previous, actual, config.anomalyWindowHours);
        if (finding) {
          result.anomalies.push(finding);
          events.push(anomalyEvent(finding, previous));
        }
      }

      // History starts at the class's first known hour: days before it existed are not zero demand.
      const first = series.values.findIndex(Number.isFinite);
      const cleaned = cleanSeries({
        ...series,
        startMs: series.startMs + first * HOUR_MS,
        values: series.values.slice(first),
      });
      const fit = forecastSeries(
        { startMs: series.startMs + first * HOUR_MS, stepMs: HOUR_MS, values: cleaned.values },
        { horizon: config.horizonHours, origins: config.origins },
      );
      const forecast = toForecast(workload.id, issuedMs, HOUR_MS, fit);
      await ports.store.forecasts.put(forecast);
      result.forecasts.push({ classId: workload.id, model: fit.model, mase: fit.scores[0]?.mase ?? null });
      log({
        run: 'forecast',
        classId: workload.id,
        model: fit.model,
        filled: cleaned.filled.length,
        clipped: cleaned.clipped.length,
      });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      result.failed.push({ classId: workload.id, error: message });
      events.push(
        makeEvent('Run Failed', {
          schemaVersion: '1',
          run: 'forecast',
          part: workload.id,
          at: toRfc3339(issuedMs),
          error: message,
        }),
      );
      log({ run: 'forecast', classId: workload.id, error: message });
    }
  }

  for (let i = 0; i < events.length; i += EVENTS_PER_PUT) {
    const batch = events.slice(i, i + EVENTS_PER_PUT);
    try {
      const outcome = await ports.events.put(batch);
      for (const f of outcome.failed) result.eventFailures.push(`${batch[f.index]?.detailType}: ${f.error}`);
    } catch (error) {
      result.eventFailures.push(error instanceof Error ? error.message : String(error));
    }
  }
  return result;
}

/** The part a failed write of the stored demand is reported under. */
export const DEMAND_PART = 'demand-aggregate';

export interface DemandHistory {
  /** Each class's hourly points in [from, to), oldest first; an hour nobody reported is absent (a gap). */
  byClass: Map<string, DemandPoint[]>;
  /** Points read from the stored demand. */
  storedPoints: number;
  /** Where raw rollups were read from (to the end of the range). */
  recomputedFromMs: number;
  /** True when the whole range was read from rollups: nothing stored yet, or a class the store has never seen. */
  backfill: boolean;
  /** Why the recomputed hours could not be stored, when they could not. */
  writeError?: string;
}

/**
 * Hourly demand per class over [fromMs, toMs) (both on the hour): the stored hours, with the latest ones
 * recomputed from raw rollups and stored again. Rollups are read from the hour after the latest stored one, or
 * `recomputeHours` back from `toMs` if that is earlier (late batches), never before `fromMs`. When nothing is
 * stored in the range, or a class has no stored hour in it (a class just added, whose history the rollups still
 * hold), the whole range is read from rollups once and stored, as every run did before demand was kept.
 */
export async function demandHistory(
  store: Store,
  classes: readonly WorkloadClass[],
  fromMs: number,
  toMs: number,
  recomputeHours: number,
): Promise<DemandHistory> {
  const byClass = new Map<string, DemandPoint[]>(classes.map((c) => [c.id, []]));
  // Nothing to forecast: reading rollups would only be thrown away, and the store would never fill.
  if (classes.length === 0) return { byClass, storedPoints: 0, recomputedFromMs: toMs, backfill: false };

  const stored = await store.demand.between(fromMs, toMs);
  const storedClasses = new Set(stored.map((p) => p.classId));
  const backfill = classes.some((c) => !storedClasses.has(c.id));
  const latestStoredMs = stored.at(-1)?.hourStartMs ?? fromMs - HOUR_MS;
  const recomputedFromMs = backfill
    ? fromMs
    : Math.max(fromMs, Math.min(latestStoredMs + HOUR_MS, toMs - recomputeHours * HOUR_MS));

  const rollups = await store.rollups.between(recomputedFromMs, toMs);
  const recomputed = hourlyDemandByClass(mergeByNodeWindow(rollups), classes);
  const fresh: DemandHour[] = [];
  for (const [classId, points] of recomputed)
    for (const p of points) fresh.push({ classId, hourStartMs: p.atMs, gpus: p.gpus });
  let writeError: string | undefined;
  try {
    await store.demand.put(fresh);
  } catch (error) {
    writeError = error instanceof Error ? error.message : String(error);
  }

  // Stored hours first, recomputed hours over them; an hour in neither stays a gap.
  const merged = new Map<string, Map<number, number>>(classes.map((c) => [c.id, new Map()]));
  for (const p of stored) merged.get(p.classId)?.set(p.hourStartMs, p.gpus);
  for (const p of fresh) merged.get(p.classId)?.set(p.hourStartMs, p.gpus);
  for (const [classId, hours] of merged) {
    byClass.set(
      classId,
      [...hours].sort(([a], [b]) => a - b).map(([atMs, gpus]) => ({ atMs, gpus })),
    );
  }
  return { byClass, storedPoints: stored.length, recomputedFromMs, backfill, writeError };
}
