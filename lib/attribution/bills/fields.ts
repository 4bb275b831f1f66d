// Reading bill cells: NULL literals, money with any number of places, the providers' time formats, tag encodings.
import { divRoundHalfEven } from '../../domain/money.ts';
import { isRfc3339, parseRfc3339, toRfc3339 } from '../../domain/time.ts';
import { LineRejected } from './bill-row.ts';

/** Columns of one record looked up without regard to case (the FOCUS spec's own samples spell `SkuPriceid`). */
export class Cells {
  private readonly byName = new Map<string, unknown>();

  constructor(fields: Record<string, unknown>) {
    for (const [name, value] of Object.entries(fields)) this.byName.set(name.toLowerCase(), value);
  }

  /** The amount of the line for a balance: the first named amount column, in the first named currency column. */
  amount(amountColumns: readonly string[], currencyColumns: readonly string[]): LineAmount {
    const name = amountColumns.find((c) => this.has(c));
    const raw = name === undefined ? undefined : this.raw(name);
    const text =
      raw === undefined || raw === null
        ? undefined
        : typeof raw === 'string'
          ? this.text(name!)
          : String(raw);
    return lineAmount(text, this.text(...currencyColumns));
  }

  has(name: string): boolean {
    return this.byName.has(name.toLowerCase());
  }

  /** Column names (as lower-cased) that start with `prefix`: tag columns of the legacy CUR. */
  namesStartingWith(prefix: string): string[] {
    return [...this.byName.keys()].filter((name) => name.startsWith(prefix.toLowerCase()));
  }

  /** The raw value (objects included, for JSON rows). */
  raw(name: string): unknown {
    return this.byName.get(name.toLowerCase());
  }

  /** Text of the first named column that holds a value; the NULL literals FOCUS samples use count as empty. */
  text(...names: string[]): string | undefined {
    for (const name of names) {
      const value = this.byName.get(name.toLowerCase());
      if (value === undefined || value === null) continue;
      const text = typeof value === 'string' ? value.trim() : String(value);
      if (text === '' || text === 'NULL' || text === 'null') continue;
      return text;
    }
    return undefined;
  }

  required(name: string): string {
    const value = this.text(name);
    if (value === undefined) throw new LineRejected(`${name} is empty`);
    return value;
  }
}

/** Money from a bill cell, rounded half-to-even to the micro-dollar (bills carry up to 11+ places and exponents). */
/** Rejects a line, keeping what it bills (in its own currency) when the amount can be read. */
export function rejectLine(reason: string, amountText: string | undefined, currency = 'USD'): never {
  let billed: bigint | undefined;
  try {
    billed =
      amountText === undefined
        ? undefined
        : divRoundHalfEven(billMoney(amountText, 'amount'), FINE_PER_MICRO);
  } catch {
    billed = undefined;
  }
  throw new LineRejected(reason, billed, billed === undefined ? undefined : currency);
}

/**
 * Bill money is read exactly, in fine units of 1e-24 USD (exports carry up to 19 places and exponents such as
 * 5e-06); the importer rounds each column to micro-dollars cumulatively over the file, so that the rows of a file
 * sum to its exact total rounded half-to-even, and no row is more than 1 µ$ from its exact amount.
 */
export const FINE_PLACES = 24;
export type FineUsd = bigint;
export const FINE_PER_MICRO = 10n ** BigInt(FINE_PLACES - 6);

/** A line's amount in its own currency, exactly (fine units), as the file states it: what a balance adds up. */
export interface LineAmount {
  /** undefined: the line has an amount the importer cannot read (it is counted, not guessed). */
  fine?: FineUsd;
  currency: string;
}

/** The amount a column holds, or an unreadable one; no column (an empty cell) is zero. */
export function lineAmount(text: string | undefined, currency: string | undefined): LineAmount {
  const cur = (currency ?? 'USD').toUpperCase();
  if (text === undefined) return { fine: 0n, currency: cur };
  try {
    return { fine: billMoney(text, 'amount'), currency: cur };
  } catch {
    return { currency: cur };
  }
}

export function billMoney(text: string, column: string): FineUsd {
  const { digits, scale } = decimalOf(text, column);
  const shift = FINE_PLACES - scale;
  return shift >= 0 ? digits * 10n ** BigInt(shift) : divRoundHalfEven(digits, 10n ** BigInt(-shift));
}

/** Money read from a JSON number or string, in the same way. */
export function billMoneyOf(value: unknown, column: string): FineUsd {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new LineRejected(`${column} is not a finite number`);
    // The shortest text that round-trips the double is what the export wrote.
    return billMoney(String(value), column);
  }
  if (typeof value === 'string') return billMoney(value, column);
  throw new LineRejected(`${column} is not a number`);
}

interface Decimal {
  digits: bigint;
  scale: number;
}

/**
 * Bounds on a bill number: more significant digits or a larger exponent than any export writes is refused before
 * any arithmetic, so that "1e300000000" costs nothing and "1e2000000000" cannot throw outside the line.
 */
export const MAX_BILL_DIGITS = 40;
export const MAX_BILL_EXPONENT = 40;

function decimalOf(text: string, column: string): Decimal {
  const trimmed = text.trim();
  const shown = JSON.stringify(trimmed.length > 40 ? `${trimmed.slice(0, 40)}…` : trimmed);
  const m = /^([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(trimmed);
  if (!m || (m[2] === '' && !m[3])) throw new LineRejected(`${column}: ${shown} is not a number`);
  const [, sign, whole = '', frac = '', exp = '0'] = m;
  if (whole.replace(/^0+/, '').length + frac.length > MAX_BILL_DIGITS)
    throw new LineRejected(`${column}: ${shown} has more than ${MAX_BILL_DIGITS} digits`);
  if (exp.replace(/^[+-]?0*/, '').length > 3 || Math.abs(Number(exp)) > MAX_BILL_EXPONENT)
    throw new LineRejected(`${column}: ${shown} has an exponent beyond ±${MAX_BILL_EXPONENT}`);
  const digits = BigInt((whole || '0') + frac) * (sign === '-' ? -1n : 1n);
  return { digits, scale: frac.length - Number(exp) };
}

/** quantity × unit price, exactly, in fine units. */
export function billProduct(quantity: string, unitPrice: string, column: string): FineUsd {
  const a = decimalOf(quantity, column);
  const b = decimalOf(unitPrice, column);
  const digits = a.digits * b.digits;
  const shift = FINE_PLACES - (a.scale + b.scale);
  return shift >= 0 ? digits * 10n ** BigInt(shift) : divRoundHalfEven(digits, 10n ** BigInt(-shift));
}

export function billNumber(text: string | undefined, column: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n)) throw new LineRejected(`${column}: ${JSON.stringify(text)} is not a number`);
  return n;
}

const SPACE_SEPARATED = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d+)?)(Z|[+-]\d{2}:?\d{2}| UTC)?$/;
const DAY_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const US_DAY = /^(\d{2})\/(\d{2})\/(\d{4})$/;

/**
 * A bill time as epoch ms. Exports write "2024-09-18 22:00:00" (FOCUS samples, UTC by the spec),
 * "2020-11-09 23:00:00+00:00" (BigQuery), RFC 3339, "2020-09-22" or "09/21/2023" (Azure, a day).
 */
export function billTime(text: string, column: string): number {
  if (isRfc3339(text)) return parseRfc3339(text);
  const spaced = SPACE_SEPARATED.exec(text);
  if (spaced) {
    const zone = spaced[3] === undefined || spaced[3] === ' UTC' ? 'Z' : spaced[3];
    const normal = `${spaced[1]}T${spaced[2]}${zone === 'Z' ? 'Z' : zone.replace(/^([+-]\d{2})(\d{2})$/, '$1:$2')}`;
    if (isRfc3339(normal)) return parseRfc3339(normal);
  }
  const day = DAY_ONLY.exec(text);
  if (day && isRfc3339(`${text}T00:00:00Z`)) return parseRfc3339(`${text}T00:00:00Z`);
  const us = US_DAY.exec(text);
  if (us && isRfc3339(`${us[3]}-${us[1]}-${us[2]}T00:00:00Z`))
    return parseRfc3339(`${us[3]}-${us[1]}-${us[2]}T00:00:00Z`);
  throw new LineRejected(`${column}: ${JSON.stringify(text)} is not a time this importer reads`);
}

export function billTimeText(text: string, column: string): string {
  return toRfc3339(billTime(text, column));
}

/**
 * Tags as a flat map of strings: a JSON object (FOCUS), Azure's brace-less `"k": "v","k2": "v2"`, or a BigQuery
 * list of {key, value}. Anything else is kept whole under `x_raw` rather than lost.
 */
export function billTags(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (Array.isArray(value)) {
    const out: Record<string, string> = {};
    for (const item of value) {
      if (item && typeof item === 'object' && 'key' in item) {
        const { key, value: v } = item as { key: unknown; value: unknown };
        out[String(key)] = v === null || v === undefined ? '' : String(v);
      }
    }
    return out;
  }
  if (typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
    );
  }
  const text = String(value).trim();
  if (text === '' || text === 'NULL' || text === 'null' || text === '[]' || text === '{}') return {};
  for (const candidate of [text, `{${text}}`]) {
    try {
      const parsed: unknown = JSON.parse(candidate);
      if (parsed && typeof parsed === 'object') return billTags(parsed);
    } catch {
      // next encoding
    }
  }
  const literal = parsePythonLiteral(text);
  if (literal !== undefined && typeof literal === 'object') return billTags(literal);
  return { x_raw: text };
}

/**
 * Reads the Python literal some tools write when they flatten BigQuery rows to CSV
 * (`[{'name': 'x', 'amount': -5e-06, 'full_name': None}]`): strings, numbers, None, True, False, lists, dicts.
 * Answers undefined when the text is not one.
 */
export function parsePythonLiteral(text: string): unknown {
  let i = 0;
  const fail = (): never => {
    throw new SyntaxError(`unexpected ${JSON.stringify(text[i] ?? 'end')} at ${i}`);
  };
  const space = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const value = (): unknown => {
    space();
    const ch = text[i];
    if (ch === '[' || ch === '{') {
      const close = ch === '[' ? ']' : '}';
      i++;
      const list: unknown[] = [];
      const dict: Record<string, unknown> = {};
      space();
      while (text[i] !== close) {
        const item = value();
        space();
        if (close === '}') {
          if (text[i] !== ':') fail();
          i++;
          dict[String(item)] = value();
          space();
        } else list.push(item);
        if (text[i] === ',') {
          i++;
          space();
        } else if (text[i] !== close) fail();
      }
      i++;
      return close === ']' ? list : dict;
    }
    if (ch === "'" || ch === '"') {
      i++;
      let out = '';
      while (i < text.length && text[i] !== ch) {
        if (text[i] === '\\') i++;
        out += text[i++];
      }
      if (text[i] !== ch) fail();
      i++;
      return out;
    }
    const word = /^(None|True|False|[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)/.exec(text.slice(i));
    if (!word) return fail();
    i += word[0].length;
    if (word[0] === 'None') return null;
    if (word[0] === 'True') return true;
    if (word[0] === 'False') return false;
    // Kept as text so that money is read exactly, not through a double.
    return word[0];
  };
  try {
    const result = value();
    space();
    return i === text.length ? result : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The key of a column whose header is localized with the English name in parentheses, as Azure's portal writes
 * ("Abonnement-GUID (SubscriptionGuid)", "PreTaxCost (PreTaxCost)"): the name in parentheses.
 */
export function englishColumnName(header: string): string {
  const m = /\(([A-Za-z][A-Za-z0-9_/.:]*)\)\s*$/.exec(header);
  return m ? m[1]! : header;
}
