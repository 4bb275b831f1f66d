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
import { makeEvent, type DomainEvent } from '../domain/events.ts';
import type { Clock, EventSink, Store } from '../domain/ports.ts';
import { DAY_MS, HOUR_MS, hourStart, toRfc3339 } from '../domain/time.ts';
import { mergeByNodeWindow } from '../domain/usage.ts';

/** EventBridge takes at most 10 entries per PutEvents. */
const EVENTS_PER_PUT = 10;

export const zForecastConfig = z.object({
  /** Hours forecast ahead; the planner reads up to a week. */
  horizonHours: z
    .number()
    .int()
    .min(1)
    .max(24 * 14)
    .default(48),
  /** Days of history read from the store; 4 weeks cover the weekly cycle four times. */
  historyDays: z.number().int().min(2).max(120).default(28),
  /** Backtest origins that score and select the models. */
  origins: z.number().int().min(1).max(28).default(4),
  /** Hours in a row outside the p99 band before a `Demand Anomaly`. */
  anomalyWindowHours: z.number().int().min(1).max(48).default(3),
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
  const [rollups, classes] = await Promise.all([
    ports.store.rollups.between(fromMs, issuedMs),
    ports.store.classes.list(),
  ]);
  const demand = hourlyDemandByClass(mergeByNodeWindow(rollups), classes);
  const result: ForecastRunResult = {
    issuedAt: toRfc3339(issuedMs),
    forecasts: [],
    anomalies: [],
    failed: [],
    eventFailures: [],
  };
  const events: DomainEvent[] = [];

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
