// A small writer of linear programs in CPLEX LP format, with readable named rows and sanitized names.

export type Sense = '<=' | '>=' | '=';

export interface LpVariable {
  name: string;
  cost: number;
  lower: number;
  upper: number;
  integer: boolean;
}

export interface LpRow {
  name: string;
  terms: [string, number][];
  sense: Sense;
  rhs: number;
}

// LP format names: at most 255 characters, no leading digit or period, only a safe subset of symbols.
const MAX_NAME = 200;

/** Turns any id (a pool id like `aws:us-east-1:us-east-1a:p4d.24xlarge`) into a name the LP format accepts. */
export function sanitizeLpName(id: string): string {
  const safe = id.replace(/[^A-Za-z0-9_]/g, '_').slice(0, MAX_NAME);
  return /^[A-Za-z_]/.test(safe) ? safe : `_${safe}`;
}

function formatNumber(n: number): string {
  if (!Number.isFinite(n)) throw new RangeError(`LP coefficient must be finite, got ${n}`);
  // Plain decimal keeps the LP text readable; 12 significant digits are more than HiGHS tolerances use.
  return Number(n.toPrecision(12)).toString();
}

export class LpModel {
  readonly variables = new Map<string, LpVariable>();
  readonly rows: LpRow[] = [];
  private readonly rowNames = new Set<string>();

  addVariable(name: string, cost: number, options: Partial<Omit<LpVariable, 'name' | 'cost'>> = {}): string {
    if (this.variables.has(name)) throw new Error(`duplicate LP variable ${name}`);
    this.variables.set(name, {
      name,
      cost,
      lower: options.lower ?? 0,
      upper: options.upper ?? Infinity,
      integer: options.integer ?? false,
    });
    return name;
  }

  addCost(name: string, cost: number): void {
    const v = this.variables.get(name);
    if (!v) throw new Error(`no LP variable ${name}`);
    v.cost += cost;
  }

  addRow(name: string, terms: [string, number][], sense: Sense, rhs: number): void {
    if (this.rowNames.has(name)) throw new Error(`duplicate LP row ${name}`);
    this.rowNames.add(name);
    this.rows.push({ name, terms: terms.filter(([, c]) => c !== 0), sense, rhs });
  }

  get integerCount(): number {
    let n = 0;
    for (const v of this.variables.values()) if (v.integer) n++;
    return n;
  }

  /** The model as CPLEX LP text; `relax` drops integrality. */
  toLpText(relax = false): string {
    const out: string[] = ['Minimize', ' obj:'];
    let line = '';
    for (const v of this.variables.values()) {
      if (v.cost === 0) continue;
      line += ` ${v.cost < 0 ? '-' : '+'} ${formatNumber(Math.abs(v.cost))} ${v.name}`;
      if (line.length > 200) {
        out.push(line);
        line = '';
      }
    }
    // An objective with no terms is still valid if it names a variable at zero cost.
    if (out.length === 2 && line === '') line = ` 0 ${this.variables.keys().next().value ?? ''}`;
    if (line) out.push(line);
    out.push('Subject To');
    for (const row of this.rows) {
      const terms = row.terms.length > 0 ? row.terms : [[this.variables.keys().next().value!, 0] as const];
      let text = ` ${row.name}:`;
      for (const [name, coef] of terms)
        text += ` ${coef < 0 ? '-' : '+'} ${formatNumber(Math.abs(coef))} ${name}`;
      out.push(`${text} ${row.sense} ${formatNumber(row.rhs)}`);
    }
    out.push('Bounds');
    const generals: string[] = [];
    for (const v of this.variables.values()) {
      if (v.upper === Infinity) {
        if (v.lower !== 0) out.push(` ${v.name} >= ${formatNumber(v.lower)}`);
      } else out.push(` ${formatNumber(v.lower)} <= ${v.name} <= ${formatNumber(v.upper)}`);
      if (v.integer && !relax) generals.push(v.name);
    }
    if (generals.length > 0) {
      out.push('Generals');
      for (let i = 0; i < generals.length; i += 20) out.push(` ${generals.slice(i, i + 20).join(' ')}`);
    }
    out.push('End');
    return out.join('\n');
  }
}
