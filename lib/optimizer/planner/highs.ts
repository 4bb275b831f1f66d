// Loads the HiGHS solver (wasm) once per process and solves LP-format models, turning failures into errors.
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

/** Solves LP text; a status without a usable solution throws a SolverError with the status. */
export async function solveLp(lpText: string, options: HighsOptions = {}): Promise<LpSolution> {
  const highs = await loadHighs();
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
