// The forecast run (hourly): demand per workload class from the rollups; classes that share a GPU requirement
// forecast together and reconciled to their total; p90 bands drawn at a level calibrated online from past misses.
import { z } from 'zod';
import {
  adaptiveLevel,
  anomalyEvent,
  cleanSeries,
  findAnomaly,
  forecastHierarchy,
  minTeamHistoryDaysFor,
  forecastSeries,
  hourlyDemandByClass,
  InsufficientHistoryError,
  missShare,
  seriesBetween,
  shortHistoryForecast,
  toForecast,
  TOTAL,
  type AnomalyFinding,
  type Reconciliation,
} from '../../forecasting/index.ts';
import { allowsGpuModel } from '../connectors/gpu-model.ts';
import type { Calibration } from '../domain/calibration.ts';
import type { DemandHour } from '../domain/demand.ts';
import { makeEvent, type DomainEvent } from '../domain/events.ts';
import type { DemandPoint, Forecast } from '../domain/forecast.ts';
import type { Clock, EventSink, Store } from '../domain/ports.ts';
import { DAY_MS, HOUR_MS, hourStart, parseRfc3339, toRfc3339 } from '../domain/time.ts';
import { mergeByNodeWindow } from '../domain/usage.ts';
import { requirementOf, type WorkloadClass } from '../domain/workload.ts';
import { putEventsInCalls } from './put-events.ts';

/** The p90 level a class starts at, before any of its forecasts has been scored. */
const TARGET_P90_LEVEL = 0.9;
/** At most this many unscored forecasts are scored in one run (after an outage): a day of hourly runs. */
const MAX_SCORED_PER_RUN = 24;

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
  /**
   * Each run scores the forecast issued this many hours ago over these first hours (all now happened): the
   * day-ahead p90 the planner leans on. Its share of hours above p90 moves the class's p90 level.
   */
  calibrationHorizonHours: z.number().int().min(1).max(168).default(24),
  /**
   * How far one scored forecast moves the p90 level (adaptive conformal γ). One forecast is scored an hour:
   * 0.05 a day, spread over the day's 24 forecasts, so a week of misses moves a p90 band to about p99.
   */
  calibrationStepSize: z
    .number()
    .positive()
    .max(0.5)
    .default(0.05 / 24),
});
export type ForecastConfig = z.infer<typeof zForecastConfig>;
export type ForecastConfigInput = z.input<typeof zForecastConfig>;

export interface ForecastPorts {
  store: Store;
  events: EventSink;
  clock: Clock;
  log?: (entry: Record<string, unknown>) => void;
}

/** How well a class's (or a group total's) p90 covered, and the level its new band is drawn at. */
export interface ClassCalibration {
  classId: string;
  /** The residual quantile this run's p90 band is drawn at. */
  p90Level: number;
  /** Forecasts scored into the level by this run (0 on a rerun of the same hour). */
  scored: number;
  /** The latest scored forecast (the day-ahead one, `calibrationHorizonHours` back), whose hours are counted. */
  scoredIssuedAt?: string;
  knownHours: number;
  coveredHours: number;
  /** Realised p90 coverage: the share of its known hours at or below the p90 band; null with none known. */
  p90Coverage: number | null;
  /** Why the level could not be read, scored or stored: the band is drawn at the level it had (p90 if unread). */
  error?: string;
}

export interface ForecastRunResult {
  issuedAt: string;
  forecasts: {
    classId: string;
    model: string;
    mase: number | null;
    /** Set when the class was forecast with the others of its GPU requirement and reconciled to their total. */
    group?: string;
    reconciliation?: Reconciliation;
  }[];
  /** Each requirement's total over its classes (two or more), stored as a forecast under `classId`. */
  totals: { classId: string; classes: string[]; reconciliation: Reconciliation }[];
  /** Realised p90 coverage and the calibrated level, per class and per group total. */
  calibration: ClassCalibration[];
  /** Realised p90 coverage over the classes' known hours (group totals apart); null when none was scored. */
  p90Coverage: number | null;
  anomalies: AnomalyFinding[];
  failed: { classId: string; error: string }[];
  /** Events the bus refused, with why. */
  eventFailures: string[];
  /** Why the recomputed hours of demand could not be stored (the forecasts were still made from them). */
  demandWriteError?: string;
}

/** The prefix of a group total's class id: `__total__:<requirement>`. */
export const TOTAL_CLASS_PREFIX = `${TOTAL}:`;

export const totalClassId = (requirement: string) => `${TOTAL_CLASS_PREFIX}${requirement}`;

/** A class ready to forecast: its hourly values from the run's history start, gaps filled. */
interface Prepared {
  workload: WorkloadClass;
  /** The index of its first known hour in the run's history. */
  first: number;
  /** Cleaned values from `first` on. */
  values: number[];
  filled: number;
  clipped: number;
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
    totals: [],
    calibration: [],
    p90Coverage: null,
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
  const fail = (classId: string, error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    result.failed.push({ classId, error: message });
    events.push(
      makeEvent('Run Failed', {
        schemaVersion: '1',
        run: 'forecast',
        part: classId,
        at: toRfc3339(issuedMs),
        error: message,
      }),
    );
    log({ run: 'forecast', classId, error: message });
  };

  const prepared: Prepared[] = [];
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
      prepared.push({
        workload,
        first,
        values: cleaned.values,
        filled: cleaned.filled.length,
        clipped: cleaned.clipped.length,
      });
    } catch (error) {
      fail(workload.id, error);
    }
  }

  // Classes of one requirement are the leaves; their sum is the total the pool's margin is sized on.
  const groups = new Map<string, Prepared[]>();
  for (const p of prepared) {
    const key = requirementOf(p.workload);
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  const realisedOf = (ids: readonly string[]) => {
    const hours = new Map<number, number>();
    for (const id of ids)
      for (const p of demand.get(id) ?? []) hours.set(p.atMs, (hours.get(p.atMs) ?? 0) + p.gpus);
    return hours;
  };
  const levels = new Map<string, number>();
  const calibrateEach = async (id: string, realised: Map<number, number>) => {
    // A calibration that cannot be read or scored leaves the band at p90: the forecast itself still goes on.
    const row = await calibrate(ports.store, id, realised, issuedMs, config).catch(
      (error: unknown): ClassCalibration => ({
        classId: id,
        p90Level: TARGET_P90_LEVEL,
        scored: 0,
        knownHours: 0,
        coveredHours: 0,
        p90Coverage: null,
        error: error instanceof Error ? error.message : String(error),
      }),
    );
    levels.set(id, row.p90Level);
    result.calibration.push(row);
    if (row.error !== undefined) log({ run: 'forecast', part: 'calibration', classId: id, error: row.error });
  };
  for (const [requirement, members] of groups) {
    for (const p of members) await calibrateEach(p.workload.id, realisedOf([p.workload.id]));
    if (members.length > 1)
      await calibrateEach(totalClassId(requirement), realisedOf(members.map((p) => p.workload.id)));
  }
  const classRows = result.calibration.filter((c) => !c.classId.startsWith(TOTAL_CLASS_PREFIX));
  const known = classRows.reduce((s, c) => s + c.knownHours, 0);
  result.p90Coverage = known > 0 ? classRows.reduce((s, c) => s + c.coveredHours, 0) / known : null;
  log({
    run: 'forecast',
    part: 'calibration',
    p90Coverage: result.p90Coverage,
    classes: result.calibration.map((c) => ({
      classId: c.classId,
      p90Coverage: c.p90Coverage,
      p90Level: c.p90Level,
      scored: c.scored,
    })),
  });

  const store = async (id: string, forecast: Forecast, entry: ForecastRunResult['forecasts'][number]) => {
    try {
      await ports.store.forecasts.put(forecast);
      result.forecasts.push(entry);
    } catch (error) {
      fail(id, error);
    }
  };
  const single = async (p: Prepared) => {
    const id = p.workload.id;
    try {
      const fit = forecastSeries(
        { startMs: fromMs + p.first * HOUR_MS, stepMs: HOUR_MS, values: p.values },
        {
          horizon: config.horizonHours,
          origins: config.origins,
          p90Level: levels.get(id) ?? TARGET_P90_LEVEL,
        },
      );
      await store(id, toForecast(id, issuedMs, HOUR_MS, fit), {
        classId: id,
        model: fit.model,
        mase: fit.scores[0]?.mase ?? null,
      });
      log({ run: 'forecast', classId: id, model: fit.model, filled: p.filled, clipped: p.clipped });
    } catch (error) {
      if (!(error instanceof InsufficientHistoryError)) return fail(id, error);
      // A new class or a new deployment: its recent level until a day of history allows a model.
      const fit = shortHistoryForecast(p.values, config.horizonHours);
      await store(id, toForecast(id, issuedMs, HOUR_MS, fit), { classId: id, model: fit.model, mase: null });
      log({ run: 'forecast', classId: id, model: fit.model, hours: p.values.length });
    }
  };

  for (const [requirement, members] of groups) {
    if (members.length === 1) {
      await single(members[0]!);
      continue;
    }
    const totalId = totalClassId(requirement);
    let hierarchy: ReturnType<typeof forecastHierarchy>;
    const start = Math.min(...members.map((p) => p.first));
    try {
      // Aligned from the group's first known hour: a class not yet started is at 0 (a new team, its share).
      const teams = members.map((p) => ({
        name: p.workload.id,
        values: [...Array<number>(p.first - start).fill(0), ...p.values],
      }));
      const p90Levels: Record<string, number> = { [TOTAL]: levels.get(totalId) ?? TARGET_P90_LEVEL };
      for (const p of members) p90Levels[p.workload.id] = levels.get(p.workload.id) ?? TARGET_P90_LEVEL;
      hierarchy = forecastHierarchy(
        { startMs: fromMs + start * HOUR_MS, stepMs: HOUR_MS, teams },
        {
          horizon: config.horizonHours,
          origins: config.origins,
          p90Levels,
          // A team is new (its share of the total) when it has less than half the group's history, two weeks at
          // most.
          minTeamHistoryDays: minTeamHistoryDaysFor(teams[0]!.values.length, HOUR_MS),
        },
      );
    } catch (error) {
      // The group could not be reconciled: each class on its own, as a class with nothing to share is.
      log({ run: 'forecast', group: totalId, error: error instanceof Error ? error.message : String(error) });
      for (const p of members) await single(p);
      continue;
    }
    for (const team of hierarchy.teams) {
      const p = members.find((m) => m.workload.id === team.name)!;
      await store(team.name, toForecast(team.name, issuedMs, HOUR_MS, team), {
        classId: team.name,
        model: team.model,
        mase: team.scores[0]?.mase ?? null,
        group: totalId,
        reconciliation: hierarchy.method,
      });
      log({
        run: 'forecast',
        classId: team.name,
        model: team.model,
        group: totalId,
        reconciliation: hierarchy.method,
        filled: p.filled,
        clipped: p.clipped,
      });
    }
    try {
      await ports.store.forecasts.put(toForecast(totalId, issuedMs, HOUR_MS, hierarchy.total));
      result.totals.push({
        classId: totalId,
        classes: members.map((p) => p.workload.id),
        reconciliation: hierarchy.method,
      });
      log({
        run: 'forecast',
        classId: totalId,
        reconciliation: hierarchy.method,
        backtest: hierarchy.backtestError,
      });
    } catch (error) {
      fail(totalId, error);
    }
  }

  for (const unsent of await putEventsInCalls(ports.events, events))
    result.eventFailures.push(`${unsent.event.detailType}: ${unsent.error}`);
  return result;
}

/**
 * Scores the forecasts of `classId` whose first `calibrationHorizonHours` have now happened and that no run has
 * scored yet, moves the p90 level by their misses (adaptive conformal inference) and stores it. The coverage
 * reported is the newest such forecast's, scored now or by an earlier attempt at this hour.
 */
export async function calibrate(
  store: Store,
  classId: string,
  realised: ReadonlyMap<number, number>,
  issuedMs: number,
  config: Pick<ForecastConfig, 'calibrationHorizonHours' | 'calibrationStepSize'>,
): Promise<ClassCalibration> {
  const horizonMs = config.calibrationHorizonHours * HOUR_MS;
  const targetMs = issuedMs - horizonMs;
  const state = await store.calibration.get(classId);
  const scoredMs = state ? parseRfc3339(state.scoredIssuedAt) : Number.NEGATIVE_INFINITY;
  const level = adaptiveLevel({
    stepSize: config.calibrationStepSize,
    initialLevel: state?.p90Level ?? TARGET_P90_LEVEL,
  });
  // The newest scored forecast is read again on a rerun, for its coverage; it does not move the level twice.
  const fromMs = Math.max(
    Math.min(scoredMs + HOUR_MS, targetMs),
    targetMs - (MAX_SCORED_PER_RUN - 1) * HOUR_MS,
  );
  const candidates = await store.forecasts.between(classId, fromMs, targetMs + HOUR_MS);
  let latest: { issuedAt: string; known: number; covered: number } | undefined;
  let scored = 0;
  let lastMissShare = 0;
  for (const forecast of candidates) {
    const actual: number[] = [];
    const upper: number[] = [];
    for (const step of forecast.steps) {
      const atMs = parseRfc3339(step.at);
      if (atMs >= parseRfc3339(forecast.issuedAt) + horizonMs || atMs >= issuedMs) break;
      actual.push(realised.get(atMs) ?? Number.NaN);
      upper.push(step.p90);
    }
    const share = missShare(actual, upper);
    if (!Number.isFinite(share)) continue;
    const known = actual.filter(Number.isFinite).length;
    latest = { issuedAt: forecast.issuedAt, known, covered: Math.round(known * (1 - share)) };
    if (parseRfc3339(forecast.issuedAt) <= scoredMs) continue;
    level.observe(share);
    lastMissShare = share;
    scored++;
  }
  const row: ClassCalibration = {
    classId,
    p90Level: level.level,
    scored,
    ...(latest ? { scoredIssuedAt: latest.issuedAt } : {}),
    knownHours: latest?.known ?? 0,
    coveredHours: latest?.covered ?? 0,
    p90Coverage: latest ? latest.covered / latest.known : null,
  };
  if (scored === 0 || !latest) return row;
  const next: Calibration = {
    classId,
    p90Level: level.level,
    scoredIssuedAt: latest.issuedAt,
    scoredForecasts: (state?.scoredForecasts ?? 0) + scored,
    lastMissShare,
  };
  try {
    if ((await store.calibration.advance(next)) === 'stale') {
      // Another attempt at this hour scored it first: its level stands.
      const stored = await store.calibration.get(classId);
      return { ...row, p90Level: stored?.p90Level ?? row.p90Level, scored: 0 };
    }
  } catch (error) {
    return { ...row, error: error instanceof Error ? error.message : String(error) };
  }
  return row;
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
  const recomputed = hourlyDemandByClass(mergeByNodeWindow(rollups), classes, allowsGpuModel);
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
