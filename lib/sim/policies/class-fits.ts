// The fast model's forecasts of its classes, made as the forecast run makes them: teams of one cluster reconciled
// with their total, a class alone on its own.
import {
  forecastHierarchy,
  forecastSeries,
  InsufficientHistoryError,
  minTeamHistoryDaysFor,
} from '../../../forecasting/index.ts';

export interface ClassFit {
  point: number[];
  p50: number[];
  p90: number[];
  p99: number[];
  model: string;
}

export interface ClassFitInput {
  /** When the longest class's values start. */
  startMs: number;
  stepMs: number;
  horizon: number;
  /** Each class's demand up to the hour the forecast is made at (aligned on their ends). */
  classes: readonly { id: string; values: readonly number[] }[];
  /**
   * `reconciled`: the teams and their total forecast together and made to add up, a young team as its share of
   * the total (as the deployed forecast run does); `independent`: each class on its own.
   */
  teams: 'reconciled' | 'independent';
}

/** The highest demand seen so far: what a class with too little history to fit is planned at. */
function peakSoFar(values: readonly number[], horizon: number): ClassFit {
  const flat = new Array<number>(horizon).fill(Math.max(0, ...values));
  return { point: flat, p50: flat, p90: flat, p99: flat, model: 'peak-so-far' };
}

const longestOf = (input: ClassFitInput) => Math.max(...input.classes.map((c) => c.values.length));

function alone(values: readonly number[], input: ClassFitInput): ClassFit {
  try {
    const out = forecastSeries(
      {
        startMs: input.startMs + (longestOf(input) - values.length) * input.stepMs,
        stepMs: input.stepMs,
        values: [...values],
      },
      { horizon: input.horizon },
    );
    return { point: out.point, p50: out.p50, p90: out.p90, p99: out.p99, model: out.model };
  } catch (error) {
    if (!(error instanceof InsufficientHistoryError)) throw error;
    return peakSoFar(values, input.horizon);
  }
}

/**
 * Forecasts every class `horizon` steps ahead, as the deployed forecast run does (the same hierarchy, the same
 * rule for a young team), so that what the simulator measures is the forecast the product makes.
 */
export function classFits(input: ClassFitInput): Map<string, ClassFit> {
  const out = new Map<string, ClassFit>();
  if (input.teams === 'reconciled' && input.classes.length > 1) {
    const length = Math.min(...input.classes.map((c) => c.values.length));
    const longest = longestOf(input);
    try {
      const h = forecastHierarchy(
        {
          startMs: input.startMs + (longest - length) * input.stepMs,
          stepMs: input.stepMs,
          teams: input.classes.map((c) => ({ name: c.id, values: c.values.slice(c.values.length - length) })),
        },
        { horizon: input.horizon, minTeamHistoryDays: minTeamHistoryDaysFor(length, input.stepMs) },
      );
      for (const t of h.teams)
        out.set(t.name, { point: t.point, p50: t.p50, p90: t.p90, p99: t.p99, model: t.model });
      return out;
    } catch (error) {
      // Too little common history to reconcile: each class on its own, as the forecast run falls back.
      if (!(error instanceof InsufficientHistoryError)) throw error;
    }
  }
  for (const c of input.classes) out.set(c.id, alone(c.values, input));
  return out;
}
