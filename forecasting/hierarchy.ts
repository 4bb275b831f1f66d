// Forecasts for teams and their total that add up: base forecasts per team and for the total, reconciled (MinT with
// shrinkage, or bottom-up where that scored better), new teams forecast as their share of the total.
import { inverse, Matrix } from 'ml-matrix';
import type { ModelScore } from '../lib/domain/forecast.ts';
import { bandsFrom, forecastSeries, residualQuantiles, type Bands, type EngineOptions } from './engine.ts';
import { naiveScale } from './metrics.ts';
import { stepsPerDay } from './series.ts';

export const TOTAL = '__total__';

export interface TeamSeries {
  name: string;
  /** Hourly (or any regular step) demand, aligned with every other team's: same start, same length. */
  values: readonly number[];
}

export type Reconciliation = 'bottom-up' | 'mint-shrink';

export interface HierarchyOptions extends EngineOptions {
  /**
   * A team with less history than this is forecast as its recent share of the total: two weeks give a model
   * two daily seasons of backtest origins; a new team would otherwise get no forecast at all.
   */
  minTeamHistoryDays?: number;
  /** Force a method; by default the one with the lower backtest error is used. */
  reconciliation?: Reconciliation;
  /** The p90 band's residual quantile per series (TOTAL for the total), e.g. from adaptive conformal levels. */
  p90Levels?: Readonly<Record<string, number>>;
}

export interface ReconciledSeries extends Bands {
  name: string;
  point: number[];
  /** `model`: its own reconciled forecast; `share-of-total`: too little history, its recent share of the total. */
  source: 'model' | 'share-of-total';
  /** The base model reconciled (its backtest scores, chosen first), or `share-of-total` with no scores. */
  model: string;
  scores: ModelScore[];
}

export interface HierarchyForecast {
  method: Reconciliation;
  total: ReconciledSeries;
  teams: ReconciledSeries[];
  /** Mean scaled absolute error of each method over the backtest origins (lower is better); why this method. */
  backtestError: Partial<Record<Reconciliation, number>>;
  /** The shrinkage intensity of the residual covariance (0: sample covariance, 1: its diagonal). */
  shrinkage?: number;
}

const DEFAULT_MIN_TEAM_HISTORY_DAYS = 14;

/**
 * The history a team needs to be modelled on its own, in days: half the group's, two weeks at most. In a young
 * cluster, teams as old as the cluster are still modelled on their own. The forecast run and the simulator's fast
 * model both use it, so the simulator measures the forecast the product makes.
 */
export function minTeamHistoryDaysFor(groupSteps: number, stepMs: number): number {
  return Math.min(
    DEFAULT_MIN_TEAM_HISTORY_DAYS,
    Math.max(1, Math.floor((groupSteps * stepMs) / (24 * 3600 * 1000) / 2)),
  );
}
/** The share of a new team is read off its last week, or all it has when that is less. */
const SHARE_WINDOW_DAYS = 7;

function firstActive(values: readonly number[]): number {
  const i = values.findIndex((v) => v > 0);
  return i < 0 ? values.length : i;
}

/**
 * Shrinks the residual correlation towards the identity with the intensity of Schäfer & Strimmer (2005), as
 * MinT-shrink does (Wickramasuriya, Athanasopoulos & Hyndman, 2019): with a few hundred residuals and a dozen
 * series the sample covariance alone is too noisy to invert well.
 */
export function shrunkCovariance(rows: readonly (readonly number[])[]): {
  covariance: Matrix;
  lambda: number;
} {
  const n = rows.length;
  const p = rows[0]?.length ?? 0;
  const mean = Array.from({ length: p }, (_, i) => rows.reduce((s, r) => s + r[i]!, 0) / n);
  const sd = Array.from({ length: p }, (_, i) =>
    Math.sqrt(rows.reduce((s, r) => s + (r[i]! - mean[i]!) ** 2, 0) / Math.max(1, n - 1)),
  );
  const z = rows.map((r) => r.map((v, i) => (sd[i]! > 0 ? (v - mean[i]!) / sd[i]! : 0)));
  let numerator = 0;
  let denominator = 0;
  const correlation = Matrix.eye(p);
  for (let i = 0; i < p; i++)
    for (let j = i + 1; j < p; j++) {
      const w = z.map((r) => r[i]! * r[j]!);
      const wMean = w.reduce((a, b) => a + b, 0) / n;
      const r = (wMean * n) / Math.max(1, n - 1);
      const variance = (w.reduce((s, x) => s + (x - wMean) ** 2, 0) * n) / Math.max(1, (n - 1) ** 3);
      numerator += variance;
      denominator += r * r;
      correlation.set(i, j, r);
      correlation.set(j, i, r);
    }
  const lambda = denominator > 0 ? Math.min(1, Math.max(0, numerator / denominator)) : 1;
  const covariance = new Matrix(p, p);
  for (let i = 0; i < p; i++)
    for (let j = 0; j < p; j++) {
      const r = i === j ? 1 : (1 - lambda) * correlation.get(i, j);
      // A series that never missed still needs a little variance to keep W invertible.
      const floor = (x: number) => Math.max(x, 1e-6);
      covariance.set(i, j, r * floor(sd[i]!) * floor(sd[j]!));
    }
  return { covariance, lambda };
}

/**
 * The MinT projection P (m × (m+1)) for a total over m teams, rows of the base vector ordered [total, teams…]:
 * reconciled teams = P × base, reconciled total = their sum.
 */
export function mintProjection(covariance: Matrix, teams: number): Matrix {
  const s = new Matrix(teams + 1, teams);
  for (let j = 0; j < teams; j++) {
    s.set(0, j, 1);
    s.set(j + 1, j, 1);
  }
  const wInverse = inverse(covariance, true);
  const st = s.transpose();
  return inverse(st.mmul(wInverse).mmul(s), true).mmul(st).mmul(wInverse);
}

function project(projection: Matrix | undefined, base: readonly number[]): number[] {
  // Bottom-up: the teams' own base forecasts.
  if (!projection) return base.slice(1);
  return Array.from({ length: projection.rows }, (_, i) =>
    base.reduce((s, v, j) => s + projection.get(i, j) * v, 0),
  );
}

/**
 * Forecasts every team and their total `horizon` steps ahead so that the teams add up to the total, and bands
 * the total on its own reconciled errors: the quantile of the sum, not the sum of the teams' quantiles.
 */
export function forecastHierarchy(
  input: { startMs: number; stepMs: number; teams: readonly TeamSeries[] },
  options: HierarchyOptions,
): HierarchyForecast {
  const { horizon, stepMs } = { ...options, stepMs: input.stepMs };
  const day = stepsPerDay(stepMs);
  const length = input.teams[0]?.values.length ?? 0;
  const totalValues = Array.from({ length }, (_, t) =>
    input.teams.reduce((s, team) => s + team.values[t]!, 0),
  );
  const minHistory = (options.minTeamHistoryDays ?? DEFAULT_MIN_TEAM_HISTORY_DAYS) * day;
  const levelOf = (name: string) => options.p90Levels?.[name];
  const engine = (values: readonly number[], name: string) =>
    forecastSeries(
      { startMs: input.startMs, stepMs, values: [...values] },
      { ...options, ...(levelOf(name) !== undefined ? { p90Level: levelOf(name) } : {}) },
    );

  const total = engine(totalValues, TOTAL);
  const modelled = input.teams.filter((t) => length - firstActive(t.values) >= minHistory);
  const short = input.teams.filter((t) => !modelled.includes(t));

  // New teams: their share of the total over their recent days, applied to the total's forecast.
  const shareWindow = Math.min(SHARE_WINDOW_DAYS * day, length);
  const recentTotal = totalValues.slice(length - shareWindow).reduce((a, b) => a + b, 0);
  const shortSeries: ReconciledSeries[] = short.map((team) => {
    const recent = team.values.slice(length - Math.min(shareWindow, length - firstActive(team.values)));
    const share = recentTotal > 0 ? recent.reduce((a, b) => a + b, 0) / recentTotal : 0;
    const scale = (xs: readonly number[]) => xs.map((v) => v * share);
    return {
      name: team.name,
      source: 'share-of-total',
      model: 'share-of-total',
      scores: [],
      point: scale(total.point),
      p50: scale(total.p50),
      p90: scale(total.p90),
      p99: scale(total.p99),
    };
  });
  const shortPoint = (k: number) => shortSeries.reduce((s, t) => s + t.point[k]!, 0);

  const bases = modelled.map((t) => engine(t.values, t.name));
  // Origins where every modelled series has an out-of-sample residual: the common ground for W and the scores.
  const common = total.residualOrigins.filter((o) => bases.every((b) => b.residualOrigins.includes(o)));
  const rowOf = (residualOrigins: number[], residuals: number[][], o: number) =>
    residuals[residualOrigins.indexOf(o)]!;
  // One residual vector [total − short teams, modelled teams…] per origin and step.
  const residualVectors: number[][] = [];
  const baseAt: { origin: number; k: number; base: number[]; actual: number[] }[] = [];
  for (const o of common) {
    const totalRes = rowOf(total.residualOrigins, total.residuals, o);
    const teamRes = bases.map((b) => rowOf(b.residualOrigins, b.residuals, o));
    for (let k = 0; k < totalRes.length; k++) {
      if (teamRes.some((r) => r[k] === undefined)) continue;
      // New teams have no backtest: the total's part they hold is left out of both sides.
      const shortActual = short.reduce((sum, t) => sum + t.values[o + k]!, 0);
      const actual = [totalValues[o + k]! - shortActual, ...modelled.map((t) => t.values[o + k]!)];
      const residual = [totalRes[k]!, ...teamRes.map((r) => r[k]!)];
      residualVectors.push(residual);
      baseAt.push({ origin: o, k, base: actual.map((a, i) => a - residual[i]!), actual });
    }
  }

  let projection: Matrix | undefined;
  let lambda: number | undefined;
  if (modelled.length >= 2 && residualVectors.length > modelled.length + 2) {
    const shrunk = shrunkCovariance(residualVectors);
    lambda = shrunk.lambda;
    projection = mintProjection(shrunk.covariance, modelled.length);
  }
  const scales = [totalValues, ...modelled.map((t) => t.values)].map((v) =>
    Math.max(naiveScale(v, day), 1e-9),
  );
  // Errors of the reconciled teams and their sum at the backtest origins, scaled as MASE scales them.
  const reconciledErrors = (p: Matrix | undefined) =>
    baseAt.map(({ base, actual }) => {
      const teams = project(p, base);
      const sum = teams.reduce((a, b) => a + b, 0);
      return [actual[0]! - sum, ...teams.map((v, i) => actual[i + 1]! - v)];
    });
  const meanScaledError = (errors: number[][]) =>
    errors.length === 0
      ? Number.NaN
      : errors.reduce((s, e) => s + e.reduce((a, v, i) => a + Math.abs(v) / scales[i]!, 0) / e.length, 0) /
        errors.length;
  const backtestError: Partial<Record<Reconciliation, number>> = {
    'bottom-up': meanScaledError(reconciledErrors(undefined)),
  };
  if (projection) backtestError['mint-shrink'] = meanScaledError(reconciledErrors(projection));
  const method: Reconciliation =
    options.reconciliation ??
    (projection && backtestError['mint-shrink']! < backtestError['bottom-up']! ? 'mint-shrink' : 'bottom-up');
  const chosen = method === 'mint-shrink' ? projection : undefined;

  // Reconcile the forecast: the modelled part of the total is the total's base less the new teams' shares.
  const teamPoints: number[][] = modelled.map(() => []);
  for (let k = 0; k < horizon; k++) {
    const base = [total.point[k]! - shortPoint(k), ...bases.map((b) => b.point[k]!)];
    project(chosen, base).forEach((v, i) => teamPoints[i]!.push(Math.max(0, v)));
  }
  const totalPoint = Array.from(
    { length: horizon },
    (_, k) => teamPoints.reduce((s, p) => s + p[k]!, 0) + shortPoint(k),
  );

  // Bands from the reconciled errors at the backtest origins, per horizon step.
  const errors = reconciledErrors(chosen);
  const residualRows = (series: number) =>
    common.map((o) => {
      const row: number[] = [];
      baseAt.forEach((b, i) => {
        if (b.origin === o) row[b.k] = errors[i]![series]!;
      });
      return row;
    });
  const poolSteps = options.quantilePoolSteps ?? 3;
  const banded = (name: string, point: number[], series: number, fallback: Bands): Bands =>
    common.length === 0
      ? fallback
      : bandsFrom(point, residualQuantiles(residualRows(series), horizon, poolSteps, levelOf(name) ?? 0.9));

  const teams: ReconciledSeries[] = [
    ...modelled.map((t, i) => ({
      name: t.name,
      source: 'model' as const,
      model: bases[i]!.model,
      scores: bases[i]!.scores,
      point: teamPoints[i]!,
      ...banded(t.name, teamPoints[i]!, i + 1, bases[i]!),
    })),
    ...shortSeries,
  ];
  const order = new Map(input.teams.map((t, i) => [t.name, i]));
  teams.sort((a, b) => order.get(a.name)! - order.get(b.name)!);
  return {
    method,
    total: {
      name: TOTAL,
      source: 'model',
      model: total.model,
      scores: total.scores,
      point: totalPoint,
      ...banded(TOTAL, totalPoint, 0, total),
    },
    teams,
    backtestError,
    ...(lambda !== undefined ? { shrinkage: lambda } : {}),
  };
}
