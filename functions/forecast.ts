// Lambda door of the forecast run: an hourly schedule in, a summary of the run out.
import type { ScheduledEvent } from 'aws-lambda';
import { hourlyDemandByClass } from '../forecasting/index.ts';
import { allowsGpuModel } from '../lib/connectors/gpu-model.ts';
import { MetricUnit, type MetricRecord, type MetricValue } from '../lib/adapters/metrics.ts';
import type { Forecast } from '../lib/domain/forecast.ts';
import type { Store } from '../lib/domain/ports.ts';
import { HOUR_MS, parseRfc3339 } from '../lib/domain/time.ts';
import { mergeByNodeWindow, type WindowRollup } from '../lib/domain/usage.ts';
import type { WorkloadClass } from '../lib/domain/workload.ts';
import { METRIC_NAMES } from '../lib/infra/metric-names.ts';
import { runForecast, type ForecastRunResult } from '../lib/runs/forecast.ts';
import { openDoor } from '../lib/system/door.ts';

const door = openDoor('forecast');

export async function forecastHandler(_event: ScheduledEvent): Promise<ForecastRunResult> {
  const { config, assembly } = await door.system();
  const seen: Seen = { rollups: [], classes: [], previous: new Map() };
  const result = await runForecast(
    {
      store: noting(await assembly.store(), seen),
      events: await assembly.events(),
      clock: assembly.clock,
      log: door.log,
    },
    door.entry.options(config),
  );
  door.metrics.publish(
    withCoverage(forecastVersusActual(seen, parseRfc3339(result.issuedAt) - HOUR_MS), result),
  );
  return result;
}

/** What the run read: the history, the classes and each class's previous forecast. */
interface Seen {
  rollups: WindowRollup[];
  classes: WorkloadClass[];
  previous: Map<string, Forecast>;
}

/** The store, noting what the run reads, so that the figures come from the run's own inputs and no second read. */
function noting(inner: Store, seen: Seen): Store {
  return {
    ...inner,
    rollups: {
      ...inner.rollups,
      between: async (fromMs, toMs) => {
        const rollups = await inner.rollups.between(fromMs, toMs);
        seen.rollups.push(...rollups);
        return rollups;
      },
    },
    classes: {
      ...inner.classes,
      list: async () => {
        const classes = await inner.classes.list();
        seen.classes.push(...classes);
        return classes;
      },
    },
    forecasts: {
      ...inner.forecasts,
      latest: async (classId) => {
        const forecast = await inner.forecasts.latest(classId);
        if (forecast) seen.previous.set(classId, forecast);
        return forecast;
      },
    },
  };
}

/**
 * The hour that just ended: GPUs the previous forecast gave it (p50) and GPUs that came, per class, and the
 * fleet's totals on the service's own series (what the dashboard draws). An hour nobody reported is left out.
 */
function forecastVersusActual(seen: Seen, hourMs: number): MetricRecord[] {
  const lastHour = seen.rollups.filter((r) => {
    const atMs = parseRfc3339(r.windowStart);
    return atMs >= hourMs && atMs < hourMs + HOUR_MS;
  });
  const actual = hourlyDemandByClass(mergeByNodeWindow(lastHour), seen.classes, allowsGpuModel);
  const records: MetricRecord[] = [];
  let forecastTotal: number | undefined;
  let actualTotal: number | undefined;
  for (const workload of seen.classes) {
    const values: MetricValue[] = [];
    const p50 = seen.previous.get(workload.id)?.steps.find((s) => parseRfc3339(s.at) === hourMs)?.p50;
    if (p50 !== undefined) {
      values.push({ name: METRIC_NAMES.forecastGpus, unit: MetricUnit.Count, value: p50 });
      forecastTotal = (forecastTotal ?? 0) + p50;
    }
    const came = actual.get(workload.id)?.find((p) => p.atMs === hourMs)?.gpus;
    if (came !== undefined) {
      values.push({ name: METRIC_NAMES.actualGpus, unit: MetricUnit.Count, value: came });
      actualTotal = (actualTotal ?? 0) + came;
    }
    records.push({ atMs: hourMs, dimensions: { classId: workload.id }, values });
  }
  const totals: MetricValue[] = [];
  if (forecastTotal !== undefined)
    totals.push({ name: METRIC_NAMES.forecastGpus, unit: MetricUnit.Count, value: forecastTotal });
  if (actualTotal !== undefined)
    totals.push({ name: METRIC_NAMES.actualGpus, unit: MetricUnit.Count, value: actualTotal });
  return [...records, { atMs: hourMs, values: totals }];
}

/** The realised p90 coverage the run scored, on each class's record and on the fleet's (classes without a score apart). */
function withCoverage(records: MetricRecord[], result: ForecastRunResult): MetricRecord[] {
  const coverage = new Map(result.calibration.map((c) => [c.classId, c.p90Coverage]));
  const percent = (share: number): MetricValue => ({
    name: METRIC_NAMES.forecastP90CoveragePct,
    unit: MetricUnit.Percent,
    value: Math.round(share * 1000) / 10,
  });
  return records.map((r) => {
    const share =
      r.dimensions?.classId === undefined ? result.p90Coverage : coverage.get(r.dimensions.classId);
    return share === null || share === undefined ? r : { ...r, values: [...r.values, percent(share)] };
  });
}

export const handler = door.wrap(forecastHandler);
