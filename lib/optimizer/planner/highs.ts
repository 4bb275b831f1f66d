// Loads the HiGHS solver (wasm) once per process and solves models (as numbers or LP text), falling back to other methods when one fails.
import highsModule from 'highs';
import type { Highs, LegacyHighsOptions } from 'highs';
import type { HighsModelData, LpModel } from './lp.ts';

export type HighsOptions = LegacyHighsOptions;

// The package's types describe an ES default export from a CommonJS declaration file; under NodeNext the
// default import is typed as the module, while at run time (its .mjs entry) it is the loader itself.
const highsLoader = highsModule as unknown as () => Promise<Highs>;

let loading: Promise<Highs> | undefined;

export function loadHighs(): Promise<Highs> {
  loading ??= highsLoader();
  return loading;
}

export interface LpSolution {
  status: string;
  /** Primal value per variable name; variables absent from the answer are 0. */
  values: Map<string, number>;
  objective: number;
  /**
   * How the answer was reached when the first attempt failed, e.g. "simplex failed (HiGHS error -1); solved
   * with the interior-point method": the run's log says so. Absent when the first attempt solved.
   */
  fallback?: string;
}

/** The answer for an `LpModel`: also by column index, with no names to look up. */
export interface ModelSolution extends LpSolution {
  /** Primal value per column index of the model (as `addColumn` returned it). */
  column: Float64Array;
}

export class SolverError extends Error {
  constructor(
    readonly status: string,
    message: string,
  ) {
    super(message);
    this.name = 'SolverError';
  }
}

/** The attempts after the caller's options, in order: another method, then no presolve, then both. */
const FALLBACKS: readonly { label: string; options: HighsOptions }[] = [
  { label: 'the interior-point method', options: { solver: 'ipm' } },
  { label: 'presolve off', options: { presolve: 'off' } },
  { label: 'simplex with presolve off', options: { solver: 'simplex', presolve: 'off' } },
];

function attempt(highs: Highs, lpText: string, options: HighsOptions): LpSolution {
  const result = highs.solve(lpText, { output_flag: false, ...options } as HighsOptions);
  const usable =
    result.Status === 'Optimal' ||
    ((result.Status === 'Time limit reached' || result.Status === 'Iteration limit reached') &&
      Object.values(result.Columns).some((c) => 'Primal' in (c as object)));
  if (!usable) throw new SolverError(result.Status, `HiGHS ended with status "${result.Status}"`);
  const values = new Map<string, number>();
  for (const [name, column] of Object.entries(result.Columns) as [string, { Primal?: number }][]) {
    if (column.Primal !== undefined) values.set(name, column.Primal);
  }
  return { status: result.Status, values, objective: result.ObjectiveValue };
}

/**
 * Solves LP text. A native failure ("HiGHS error -1") or an unusable status is retried with another method and
 * with presolve off — a model one method cannot solve is often solved by another — and the answer says which
 * attempt solved it. Infeasible and unbounded are answers, not failures: they are not retried. When every
 * attempt fails, the first failure is thrown as a SolverError.
 */
export async function solveLp(lpText: string, options: HighsOptions = {}): Promise<LpSolution> {
  const highs = await loadHighs();
  return withFallbacks(options, (tried) => attempt(highs, lpText, tried));
}

// Model status codes by the names the one-shot text solve reports, so that both ways answer alike.
const MODEL_STATUS_NAMES: readonly string[] = [
  'Not Set',
  'Load error',
  'Model error',
  'Presolve error',
  'Solve error',
  'Postsolve error',
  'Empty',
  'Optimal',
  'Infeasible',
  'Primal infeasible or unbounded',
  'Unbounded',
  'Bound on objective reached',
  'Target for objective reached',
  'Time limit reached',
  'Iteration limit reached',
  'Unknown',
];

function attemptModel(highs: Highs, model: HighsModelData, options: HighsOptions): ModelSolution {
  const solver = highs.createModel(model.data);
  try {
    solver.options.set({ output_flag: false, ...options } as Record<string, string | number | boolean>);
    solver.run();
    const status = MODEL_STATUS_NAMES[solver.getModelStatus()] ?? 'Unknown';
    const usable =
      status === 'Optimal' ||
      ((status === 'Time limit reached' || status === 'Iteration limit reached') &&
        Number(solver.info.get('primal_solution_status')) === 2);
    if (!usable) throw new SolverError(status, `HiGHS ended with status "${status}"`);
    const solved = solver.getSolution().colValue;
    const column = new Float64Array(model.modelColumnCount);
    model.modelColumns.forEach((j, c) => (column[j] = solved[c]!));
    let values: Map<string, number> | undefined;
    return {
      status,
      column,
      objective: solver.getObjectiveValue(),
      // By name only when asked: a caller holding column indices never pays for the map.
      get values() {
        values ??= new Map(model.columnNames.map((name, c) => [name, solved[c]!]));
        return values;
      },
    };
  } finally {
    solver.dispose();
  }
}

/**
 * Solves a model handed to HiGHS as numbers (`relax` drops integrality): the answer `solveLp` gives for its
 * `toLpText(relax)`, with the same fallbacks, without writing and parsing the text.
 */
export async function solveModel(
  model: LpModel,
  relax: boolean,
  options: HighsOptions = {},
): Promise<ModelSolution> {
  const highs = await loadHighs();
  const data = model.toHighsModel(relax);
  return withFallbacks(options, (tried) => attemptModel(highs, data, tried));
}

function withFallbacks<T extends LpSolution>(options: HighsOptions, solve: (options: HighsOptions) => T): T {
  let first: SolverError | undefined;
  const failures: string[] = [];
  for (const step of [{ label: '', options: {} }, ...FALLBACKS]) {
    try {
      const solution = solve({ ...options, ...step.options });
      if (step.label === '') return solution;
      return { ...solution, fallback: `${failures.join('; ')}; solved with ${step.label}` };
    } catch (error) {
      const failure =
        error instanceof SolverError ? error : new SolverError('error', (error as Error).message);
      if (failure.status === 'Infeasible' || failure.status === 'Unbounded') throw failure;
      first ??= failure;
      failures.push(`${step.label || 'default method'} failed (${failure.message})`);
    }
  }
  throw first!;
}

export interface MipBoundSolution {
  /** "optimal" when the gap was closed, "time limit" when stopped, else the solver's status code. */
  status: string;
  /** The proved lower bound of a minimisation (HiGHS's MIP dual bound). */
  dualBound: number;
  /** The best whole-number solution found, when one was: its objective and the values of `names`. */
  incumbent?: { objective: number; values: Map<string, number> };
  /** Relative distance between the incumbent and the bound (Infinity without an incumbent). */
  gap: number;
}

/**
 * Solves a MIP in LP text to a time limit and keeps what a limited search proves: the dual bound (no
 * whole-number solution costs less) as well as the best solution found. The one-shot `solveLp` reports the
 * incumbent only. `names`: the columns whose values the caller reads.
 */
export async function solveMipWithBound(
  lpText: string,
  names: readonly string[],
  options: { timeLimitSeconds: number; relativeGap: number },
): Promise<MipBoundSolution> {
  const highs = await loadHighs();
  const model = highs.createModel({ format: 'lp', data: lpText });
  try {
    model.options.set({
      output_flag: false,
      time_limit: options.timeLimitSeconds,
      mip_rel_gap: options.relativeGap,
    });
    const { modelStatus } = model.run();
    const codes = highs.constants.modelStatus;
    const status =
      modelStatus === codes.optimal
        ? 'optimal'
        : modelStatus === codes.timeLimit
          ? 'time limit'
          : `status ${modelStatus}`;
    if (modelStatus !== codes.optimal && modelStatus !== codes.timeLimit)
      throw new SolverError(status, `HiGHS MIP ended with model status ${modelStatus}`);
    const dualBound = Number(model.info.get('mip_dual_bound'));
    const hasPrimal = Number(model.info.get('primal_solution_status')) === 2;
    let incumbent: MipBoundSolution['incumbent'];
    if (hasPrimal) {
      const column = model.getSolution().colValue;
      const values = new Map<string, number>();
      for (const name of names) {
        // A column no row or bound names is not in the model: it is 0.
        let index = -1;
        try {
          index = model.getColByName(name);
        } catch {
          index = -1;
        }
        values.set(name, index >= 0 ? (column[index] ?? 0) : 0);
      }
      incumbent = { objective: model.getObjectiveValue(), values };
    }
    const gap = incumbent
      ? Math.abs(incumbent.objective - dualBound) / Math.max(1e-9, Math.abs(incumbent.objective))
      : Number.POSITIVE_INFINITY;
    return { status, dualBound, ...(incumbent ? { incumbent } : {}), gap };
  } finally {
    model.dispose();
  }
}
