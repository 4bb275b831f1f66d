// Fit, backtest, select and band: one series in, a forecast with quantiles and every candidate's scores out.
import type { Forecast, ModelScore } from '../lib/domain/forecast.ts';
import { toRfc3339 } from '../lib/domain/time.ts';
import { conformalQuantileSorted, coverage, mase, naiveScale, pinball, smape } from './metrics.ts';
import { BASE_MODELS, type FitInput, type Model } from './models/index.ts';
import { stepsPerDay } from './series.ts';

export const COMBINATION = 'combination';

export interface EngineOptions {
  /** Steps to forecast. */
  horizon: number;
  /** Rolling origins of the backtest that scores and selects the models. */
  origins?: number;
  /** Steps between origins; one day by default, so every hour of the day is tested alike. */
  originSpacing?: number;
  models?: readonly Model[];
  /** How many of the best models the combination averages. */
  combineTop?: number;
  /** Residuals of steps k−w…k+w are pooled for step k's quantiles: 4 origins alone give 4 residuals a step. */
  quantilePoolSteps?: number;
  /**
   * Origins whose residuals band the chosen model (≥ origins): the selection origins plus earlier ones, run for
   * the chosen model only. 4 days of residuals are too few to know the tail; 8 are still cheap.
   */
  bandOrigins?: number;
  /** Also refit and band every candidate, not only the chosen one (benches compare them). */
  allCandidates?: boolean;
  /**
   * The residual quantile the p90 band is drawn at: 0.9 by default; an adaptive conformal level (see
   * conformal.ts) moves it so that the band covers 90 % of what happens.
   */
  p90Level?: number;
}

export const DEFAULT_ORIGINS = 4;
const DEFAULT_COMBINE_TOP = 3;
const DEFAULT_POOL_STEPS = 3;
const DEFAULT_BAND_ORIGINS = 14;

/** One model's backtest: what it forecast from each origin and what happened. */
export interface Backtest {
  model: string;
  forecasts: number[][];
  actuals: number[][];
  /** The MASE scale of each origin (1-day seasonal naive over the values before it). */
  scales: number[];
}

export interface Bands {
  p50: number[];
  p90: number[];
  p99: number[];
}

export interface SeriesForecast extends Bands {
  model: string;
  point: number[];
  /** Every candidate's backtest scores, the chosen one first: why this model. */
  scores: ModelScore[];
  /** Which origins the backtest used (as indices into the series), for whoever wants to re-check. */
  originIndices: number[];
  /** Every candidate's forecast, when asked for with `allCandidates`. */
  candidates?: ({ model: string; point: number[] } & Bands)[];
  /**
   * The chosen model's out-of-sample residuals (actual − forecast), one row per backtest origin, and those
   * origins: what reconciling several series needs to weigh them.
   */
  residuals: number[][];
  residualOrigins: number[];
}

export class InsufficientHistoryError extends Error {
  constructor(length: number, needed: number) {
    super(`a series of ${length} steps is too short to forecast; at least ${needed} are needed`);
    this.name = 'InsufficientHistoryError';
  }
}

/** Residual quantiles per horizon step, pooled over neighbouring steps (conformal; 0 when there are none). */
export function residualQuantiles(
  residuals: readonly (readonly number[])[],
  horizon: number,
  poolSteps: number,
  p90Level = 0.9,
) {
  const q50: number[] = [];
  const q90: number[] = [];
  const q99: number[] = [];
  for (let k = 0; k < horizon; k++) {
    const pool: number[] = [];
    for (const row of residuals)
      for (let j = Math.max(0, k - poolSteps); j <= Math.min(row.length - 1, k + poolSteps); j++)
        pool.push(row[j]!);
    pool.sort((a, b) => a - b);
    q50.push(pool.length === 0 ? 0 : conformalQuantileSorted(pool, 0.5));
    q90.push(pool.length === 0 ? 0 : conformalQuantileSorted(pool, p90Level));
    q99.push(pool.length === 0 ? 0 : conformalQuantileSorted(pool, 0.99));
  }
  return { q50, q90, q99 };
}

/** Bands = point + residual quantile, kept ≥ 0 and ordered p50 ≤ p90 ≤ p99. */
export function bandsFrom(point: readonly number[], q: ReturnType<typeof residualQuantiles>): Bands {
  const p50 = point.map((v, k) => Math.max(0, v + q.q50[k]!));
  const p90 = point.map((v, k) => Math.max(p50[k]!, v + q.q90[k]!));
  const p99 = point.map((v, k) => Math.max(p90[k]!, v + q.q99[k]!));
  return { p50, p90, p99 };
}

const residualsOf = (b: Backtest) => b.forecasts.map((f, o) => f.map((v, k) => b.actuals[o]![k]! - v));

/** Scores a backtest: MASE, sMAPE, and, leaving each origin out of its own bands, pinball and p90 coverage. */
export function scoreBacktest(b: Backtest, poolSteps = DEFAULT_POOL_STEPS): ModelScore {
  const origins = b.forecasts.length;
  const finite = (x: number) => (Number.isFinite(x) ? x : null);
  if (origins === 0) return { model: b.model, mase: null, smape: null, pinball: null, coverageP90: null };
  const residuals = residualsOf(b);
  let maseSum = 0;
  let smapeSum = 0;
  let pinballSum = 0;
  let coverageSum = 0;
  let banded = 0;
  for (let o = 0; o < origins; o++) {
    const actual = b.actuals[o]!;
    const forecast = b.forecasts[o]!;
    maseSum += mase(actual, forecast, b.scales[o]!);
    smapeSum += smape(actual, forecast);
    if (origins > 1) {
      const others = residuals.filter((_, j) => j !== o);
      const bands = bandsFrom(forecast, residualQuantiles(others, forecast.length, poolSteps));
      pinballSum +=
        (pinball(actual, bands.p50, 0.5) +
          pinball(actual, bands.p90, 0.9) +
          pinball(actual, bands.p99, 0.99)) /
        3;
      coverageSum += coverage(actual, bands.p90);
      banded++;
    }
  }
  return {
    model: b.model,
    mase: finite(maseSum / origins),
    smape: finite(smapeSum / origins),
    pinball: banded ? finite(pinballSum / banded) : null,
    coverageP90: banded ? coverageSum / banded : null,
  };
}

/** Origins for a backtest of `count` origins, latest last; fewer when the series is short. */
export function originIndices(
  length: number,
  horizon: number,
  count: number,
  spacing: number,
  minTrain: number,
): number[] {
  const out: number[] = [];
  for (let j = count - 1; j >= 0; j--) {
    const origin = length - horizon - j * spacing;
    if (origin >= minTrain) out.push(origin);
  }
  return out;
}

function weightedSum(parts: readonly { values: readonly number[]; weight: number }[]): number[] {
  const length = parts[0]?.values.length ?? 0;
  return Array.from({ length }, (_, k) => parts.reduce((s, p) => s + p.weight * p.values[k]!, 0));
}

/**
 * Forecasts one complete series (no gaps; see cleanSeries) `horizon` steps ahead: backtests every model on
 * rolling origins, adds a combination of the best ones weighted by 1/MASE, picks the lowest MASE, refits it on
 * the whole series, and bands it with its own out-of-sample residuals.
 */
export function forecastSeries(input: FitInput, options: EngineOptions): SeriesForecast {
  const { horizon } = options;
  const { values, stepMs } = input;
  const day = stepsPerDay(stepMs);
  const poolSteps = options.quantilePoolSteps ?? DEFAULT_POOL_STEPS;
  const models = options.models ?? BASE_MODELS;
  if (values.length < day + 1) throw new InsufficientHistoryError(values.length, day + 1);

  // MASE needs a day of training before the first origin to have a scale at all.
  const minTrain = Math.max(day + 1, Math.min(...models.map((m) => m.minLength(stepMs))));
  const origins = originIndices(
    values.length,
    horizon,
    options.origins ?? DEFAULT_ORIGINS,
    options.originSpacing ?? day,
    minTrain,
  );
  const backtestAt = (model: Model, at: readonly number[]): Backtest => {
    const b: Backtest = { model: model.name, forecasts: [], actuals: [], scales: [] };
    for (const o of at) {
      const h = Math.min(horizon, values.length - o);
      b.forecasts.push(model.fit({ ...input, values: values.slice(0, o) }).predict(h));
      b.actuals.push(values.slice(o, o + h));
      b.scales.push(naiveScale(values.slice(0, o), day));
    }
    return b;
  };
  const backtests: Backtest[] = [];
  if (origins.length > 0)
    for (const model of models)
      if (origins[0]! >= model.minLength(stepMs)) backtests.push(backtestAt(model, origins));
  const scored = backtests.map((b) => ({ backtest: b, score: scoreBacktest(b, poolSteps) }));

  // The combination: its backtest is the weighted sum of its parts' backtests, so it costs no extra fit.
  const ranked = scored
    .filter((s) => s.score.mase !== null && s.score.mase > 0)
    .sort((a, b) => a.score.mase! - b.score.mase!);
  const top = ranked.slice(0, options.combineTop ?? DEFAULT_COMBINE_TOP);
  let weights: { model: Model; weight: number }[] = [];
  if (top.length >= 2) {
    const inverse = top.map((s) => 1 / s.score.mase!);
    const total = inverse.reduce((a, b) => a + b, 0);
    weights = top.map((s, i) => ({
      model: models.find((m) => m.name === s.backtest.model)!,
      weight: inverse[i]! / total,
    }));
    const combined: Backtest = {
      model: COMBINATION,
      scales: top[0]!.backtest.scales,
      actuals: top[0]!.backtest.actuals,
      forecasts: origins.map((_, o) =>
        weightedSum(top.map((s, i) => ({ values: s.backtest.forecasts[o]!, weight: weights[i]!.weight }))),
      ),
    };
    scored.push({ backtest: combined, score: scoreBacktest(combined, poolSteps) });
  }

  const best = scored
    .filter((s) => s.score.mase !== null)
    .reduce<(typeof scored)[number] | undefined>(
      (a, s) => (!a || s.score.mase! < a.score.mase! ? s : a),
      undefined,
    );
  const chosenName = best?.backtest.model ?? models[0]!.name;
  const fitPoint = (m: Model) => m.fit(input).predict(horizon);
  const pointOf = (name: string) =>
    name === COMBINATION
      ? weightedSum(weights.map((w) => ({ values: fitPoint(w.model), weight: w.weight })))
      : fitPoint(models.find((m) => m.name === name) ?? models[0]!);
  // The chosen candidate's backtest again at earlier origins too, for bands from more residuals.
  let bandOrigins = origins;
  const widenBacktest = (b: Backtest): Backtest => {
    const all = originIndices(
      values.length,
      horizon,
      options.bandOrigins ?? DEFAULT_BAND_ORIGINS,
      options.originSpacing ?? day,
      minTrain,
    );
    const extra = all.filter((o) => o < origins[0]!);
    if (extra.length === 0) return b;
    bandOrigins = [...extra, ...origins];
    const parts =
      b.model === COMBINATION
        ? weights.map((w) => ({ values: backtestAt(w.model, extra), weight: w.weight }))
        : [
            {
              values: backtestAt(
                models.find((m) => m.name === b.model)!,
                extra,
              ),
              weight: 1,
            },
          ];
    const first = parts[0]!.values;
    return {
      model: b.model,
      scales: [...first.scales, ...b.scales],
      actuals: [...first.actuals, ...b.actuals],
      forecasts: [
        ...extra.map((_, o) =>
          weightedSum(parts.map((p) => ({ values: p.values.forecasts[o]!, weight: p.weight }))),
        ),
        ...b.forecasts,
      ],
    };
  };
  const p90Level = options.p90Level ?? 0.9;
  const bandsOf = (point: readonly number[], backtest: Backtest | undefined) =>
    // Without a backtest there are no out-of-sample residuals; the in-sample 1-day naive errors stand in.
    backtest
      ? bandsFrom(point, residualQuantiles(residualsOf(backtest), horizon, poolSteps, p90Level))
      : bandsFrom(
          point,
          residualQuantiles(
            [values.slice(day).map((v, i) => v - values[i]!)],
            horizon,
            values.length,
            p90Level,
          ),
        );
  const point = pointOf(chosenName);
  const widened = best ? widenBacktest(best.backtest) : undefined;
  const bands = bandsOf(point, widened);
  const scores = [...scored.map((s) => s.score)].sort((a, b) =>
    a.model === chosenName ? -1 : b.model === chosenName ? 1 : (a.mase ?? Infinity) - (b.mase ?? Infinity),
  );
  const candidates = options.allCandidates
    ? scored.map(({ backtest }) => {
        const p = backtest.model === chosenName ? point : pointOf(backtest.model);
        return { model: backtest.model, point: p.map((v) => Math.max(0, v)), ...bandsOf(p, backtest) };
      })
    : undefined;
  return {
    model: chosenName,
    point: point.map((v) => Math.max(0, v)),
    ...bands,
    scores,
    originIndices: origins,
    ...(candidates ? { candidates } : {}),
    residuals: widened ? residualsOf(widened) : [],
    residualOrigins: widened ? bandOrigins : [],
  };
}

/** The Forecast contract of a series forecast whose first step is `issuedMs`. */
export function toForecast(
  classId: string,
  issuedMs: number,
  stepMs: number,
  result: Pick<SeriesForecast, 'model' | 'scores' | 'point' | 'p50' | 'p90' | 'p99'>,
): Forecast {
  return {
    classId,
    issuedAt: toRfc3339(issuedMs),
    stepSeconds: stepMs / 1000,
    model: result.model,
    scores: result.scores,
    steps: result.point.map((point, k) => ({
      at: toRfc3339(issuedMs + k * stepMs),
      point,
      p50: result.p50[k]!,
      p90: result.p90[k]!,
      p99: result.p99[k]!,
    })),
  };
}
