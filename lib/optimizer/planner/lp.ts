// A linear program with named variables and rows, stored as flat arrays: handed to HiGHS as numbers, or written as CPLEX LP text.
import type { ModelData } from 'highs';

export type Sense = '<=' | '>=' | '=';

// LP format names: at most 255 characters, no leading digit or period, only a safe subset of symbols.
const MAX_NAME = 200;

/** Turns any id (a pool id like `aws:us-east-1:us-east-1a:p4d.24xlarge`) into a name the LP format accepts. */
export function sanitizeLpName(id: string): string {
  const safe = id.replace(/[^A-Za-z0-9_]/g, '_').slice(0, MAX_NAME);
  return /^[A-Za-z_]/.test(safe) ? safe : `_${safe}`;
}

function assertFinite(n: number): void {
  if (!Number.isFinite(n)) throw new RangeError(`LP coefficient must be finite, got ${n}`);
}

function formatNumber(n: number): string {
  assertFinite(n);
  // Plain decimal keeps the LP text readable; 12 significant digits are more than HiGHS tolerances use.
  return Number(n.toPrecision(12)).toString();
}

/**
 * The number the LP text carries for `n` (12 significant digits), so that a model handed over as numbers is
 * the very model its text describes, and solves to the same answer. Whole numbers need no rounding.
 */
function lpNumber(n: number): number {
  assertFinite(n);
  if (n === 0) return 0; // the text writes -0 as 0
  return Number.isInteger(n) && Math.abs(n) < 1e12 ? n : Number(n.toPrecision(12));
}

/** A model as HiGHS takes it, with the variable name of each of its columns. */
export interface HighsModelData {
  data: ModelData;
  /** Variable name per HiGHS column. */
  columnNames: string[];
  /** The model's column index (as `addColumn` returned it) per HiGHS column. */
  modelColumns: Int32Array;
  /** Columns of the model, HiGHS's included or not. */
  modelColumnCount: number;
}

export class LpModel {
  private readonly names: string[] = [];
  private readonly declared: boolean[] = [];
  private readonly cost: number[] = [];
  private readonly lower: number[] = [];
  private readonly upper: number[] = [];
  private readonly integer: boolean[] = [];
  private integers = 0;
  /**
   * Column per variable name, built on the first use of a name (a row naming its variables, `addCost`): a
   * model built by column index never hashes its hundreds of thousands of fresh names.
   */
  private byName: Map<string, number> | undefined;

  private readonly rowNames: string[] = [];
  /** Rows in compressed form: row i holds entries rowStart[i] … rowStart[i + 1] - 1. */
  private readonly rowStart: number[] = [0];
  private readonly entryColumn: number[] = [];
  private readonly entryValue: number[] = [];
  private readonly rowSense: Sense[] = [];
  private readonly rowRhs: number[] = [];

  /** Column index per variable name (a name a row used before it was added holds a column too). */
  get variables(): ReadonlyMap<string, number> {
    return this.nameIndex();
  }

  private nameIndex(): Map<string, number> {
    if (this.byName) return this.byName;
    const byName = new Map<string, number>();
    this.names.forEach((name, j) => {
      if (byName.has(name)) throw new Error(`duplicate LP variable ${name}`);
      byName.set(name, j);
    });
    this.byName = byName;
    return byName;
  }

  private newColumn(name: string): number {
    const j = this.names.length;
    this.byName?.set(name, j);
    this.names.push(name);
    this.declared.push(false);
    this.cost.push(0);
    this.lower.push(0);
    this.upper.push(Infinity);
    this.integer.push(false);
    return j;
  }

  private column(name: string): number {
    // A row may name a variable before it is added (the LP format allows it): it is a free 0-cost column until then.
    return this.nameIndex().get(name) ?? this.newColumn(name);
  }

  /**
   * Adds a variable and returns its column index, for rows to name it by. Names must be unique: they are
   * checked as soon as anything looks a variable up by name, and when the model is written as text.
   */
  addColumn(
    name: string,
    cost: number,
    options: { lower?: number; upper?: number; integer?: boolean } = {},
  ): number {
    const j = this.byName ? this.column(name) : this.newColumn(name);
    if (this.declared[j]) throw new Error(`duplicate LP variable ${name}`);
    this.declared[j] = true;
    this.cost[j] = cost;
    this.lower[j] = options.lower ?? 0;
    this.upper[j] = options.upper ?? Infinity;
    if (options.integer) {
      this.integer[j] = true;
      this.integers++;
    }
    return j;
  }

  /** Adds a variable and returns its name. */
  addVariable(
    name: string,
    cost: number,
    options: { lower?: number; upper?: number; integer?: boolean } = {},
  ): string {
    this.addColumn(name, cost, options);
    return name;
  }

  private checked(j: number): number {
    if (!(j >= 0 && j < this.names.length)) throw new Error(`no LP column ${j}`);
    return j;
  }

  /** The name of column `j`. */
  nameOf(j: number): string {
    return this.names[this.checked(j)]!;
  }

  addCost(name: string, cost: number): void {
    const j = this.nameIndex().get(name);
    if (j === undefined || !this.declared[j]) throw new Error(`no LP variable ${name}`);
    this.cost[j]! += cost;
  }

  /** A row over variables named by column index (from `addColumn`) or by name. */
  addRow(
    name: string,
    terms: readonly (readonly [number | string, number])[],
    sense: Sense,
    rhs: number,
  ): void {
    this.rowNames.push(name);
    for (const [variable, coef] of terms) {
      if (coef === 0) continue;
      this.entryColumn.push(typeof variable === 'number' ? this.checked(variable) : this.column(variable));
      this.entryValue.push(coef);
    }
    this.rowStart.push(this.entryColumn.length);
    this.rowSense.push(sense);
    this.rowRhs.push(rhs);
  }

  get integerCount(): number {
    return this.integers;
  }

  get variableCount(): number {
    return this.names.length;
  }

  get rowCount(): number {
    return this.rowNames.length;
  }

  /** Whether the LP text lists a variable's bounds (any but the default 0 ≤ x). */
  private hasBounds(j: number): boolean {
    return this.upper[j] !== Infinity || this.lower[j] !== 0;
  }

  /** Names must be unique for the text (and for answers by name) to mean this model. */
  private checkNames(): void {
    this.nameIndex();
    const rows = new Set<string>();
    for (const name of this.rowNames) {
      if (rows.has(name)) throw new Error(`duplicate LP row ${name}`);
      rows.add(name);
    }
  }

  /** The model as CPLEX LP text; `relax` drops integrality. */
  toLpText(relax = false): string {
    this.checkNames();
    const out: string[] = ['Minimize', ' obj:'];
    let line = '';
    for (let j = 0; j < this.names.length; j++) {
      const cost = this.cost[j]!;
      if (cost === 0) continue;
      line += ` ${cost < 0 ? '-' : '+'} ${formatNumber(Math.abs(cost))} ${this.names[j]}`;
      if (line.length > 200) {
        out.push(line);
        line = '';
      }
    }
    // An objective with no terms is still valid if it names a variable at zero cost.
    if (out.length === 2 && line === '') line = ` 0 ${this.names[0] ?? ''}`;
    if (line) out.push(line);
    out.push('Subject To');
    for (let i = 0; i < this.rowNames.length; i++) {
      let text = ` ${this.rowNames[i]}:`;
      const from = this.rowStart[i]!;
      const to = this.rowStart[i + 1]!;
      if (from === to) text += ` + 0 ${this.names[0]}`;
      for (let k = from; k < to; k++) {
        const coef = this.entryValue[k]!;
        text += ` ${coef < 0 ? '-' : '+'} ${formatNumber(Math.abs(coef))} ${this.names[this.entryColumn[k]!]}`;
      }
      out.push(`${text} ${this.rowSense[i]} ${formatNumber(this.rowRhs[i]!)}`);
    }
    out.push('Bounds');
    const generals: string[] = [];
    for (let j = 0; j < this.names.length; j++) {
      const name = this.names[j]!;
      if (this.upper[j] === Infinity) {
        if (this.lower[j] !== 0) out.push(` ${name} >= ${formatNumber(this.lower[j]!)}`);
      } else out.push(` ${formatNumber(this.lower[j]!)} <= ${name} <= ${formatNumber(this.upper[j]!)}`);
      if (this.integer[j] && !relax) generals.push(name);
    }
    if (generals.length > 0) {
      out.push('Generals');
      for (let i = 0; i < generals.length; i += 20) out.push(` ${generals.slice(i, i + 20).join(' ')}`);
    }
    out.push('End');
    return out.join('\n');
  }

  /**
   * The model as HiGHS's numeric input: the same model `toLpText(relax)` describes, with its columns in the
   * order the LP reader creates them (objective, rows, bounds, integers, each by first mention) and numbers
   * rounded as the text writes them, so that the solver takes the same path to the same answer — without
   * writing and parsing megabytes of text.
   */
  toHighsModel(relax = false): HighsModelData {
    const n = this.names.length;
    const order = new Int32Array(n).fill(-1);
    const columnNames: string[] = [];
    const modelColumns: number[] = [];
    const mention = (j: number) => {
      if (order[j] !== -1) return;
      order[j] = columnNames.length;
      columnNames.push(this.names[j]!);
      modelColumns.push(j);
    };
    let anyCost = false;
    for (let j = 0; j < n; j++)
      if (this.cost[j] !== 0) {
        anyCost = true;
        mention(j);
      }
    if (!anyCost && n > 0) mention(0);
    const rows = this.rowNames.length;
    for (let i = 0; i < rows; i++) {
      const from = this.rowStart[i]!;
      const to = this.rowStart[i + 1]!;
      if (from === to && n > 0) mention(0);
      for (let k = from; k < to; k++) mention(this.entryColumn[k]!);
    }
    for (let j = 0; j < n; j++) if (this.hasBounds(j)) mention(j);
    if (!relax) for (let j = 0; j < n; j++) if (this.integer[j]) mention(j);

    const numCols = columnNames.length;
    const colCost = new Float64Array(numCols);
    const colLower = new Float64Array(numCols);
    const colUpper = new Float64Array(numCols);
    const integrality = relax || this.integers === 0 ? undefined : new Int32Array(numCols);
    for (let j = 0; j < n; j++) {
      const c = order[j]!;
      if (c === -1) continue;
      colCost[c] = lpNumber(this.cost[j]!);
      colLower[c] = lpNumber(this.lower[j]!);
      colUpper[c] = this.upper[j] === Infinity ? Infinity : lpNumber(this.upper[j]!);
      if (integrality && this.integer[j]) integrality[c] = 1;
    }
    const rowLower = new Float64Array(rows);
    const rowUpper = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      const rhs = lpNumber(this.rowRhs[i]!);
      const sense = this.rowSense[i];
      rowLower[i] = sense === '<=' ? -Infinity : rhs;
      rowUpper[i] = sense === '>=' ? Infinity : rhs;
    }
    // Column-wise, each column's rows in order: the matrix exactly as the LP reader stores it.
    const entries = this.entryColumn.length;
    const starts = new Int32Array(numCols + 1);
    for (let k = 0; k < entries; k++) starts[order[this.entryColumn[k]!]! + 1]!++;
    for (let c = 0; c < numCols; c++) starts[c + 1]! += starts[c]!;
    const next = starts.slice(0, numCols);
    const indices = new Int32Array(entries);
    const values = new Float64Array(entries);
    for (let i = 0; i < rows; i++) {
      for (let k = this.rowStart[i]!; k < this.rowStart[i + 1]!; k++) {
        const at = next[order[this.entryColumn[k]!]!]!++;
        indices[at] = i;
        values[at] = lpNumber(this.entryValue[k]!);
      }
    }
    return {
      columnNames,
      modelColumns: Int32Array.from(modelColumns),
      modelColumnCount: n,
      data: {
        numCols,
        numRows: rows,
        colCost,
        colLower,
        colUpper,
        rowLower,
        rowUpper,
        matrix: { format: 'csc', numRows: rows, numCols, starts, indices, values },
        ...(integrality ? { integrality } : {}),
      },
    };
  }
}
