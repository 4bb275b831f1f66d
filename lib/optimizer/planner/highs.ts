// Loads the HiGHS solver (wasm) once per process and solves LP-format models, falling back to other methods when one fails.
import highsModule from 'highs';
import type { Highs, LegacyHighsOptions } from 'highs';

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
  let first: SolverError | undefined;
  const failures: string[] = [];
  for (const step of [{ label: '', options: {} }, ...FALLBACKS]) {
    try {
      const solution = attempt(highs, lpText, { ...options, ...step.options });
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
