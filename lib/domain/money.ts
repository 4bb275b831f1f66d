// Money as exact bigint micro-dollars, its decimal encoding, and splits whose parts always sum to the whole.
import { z } from 'zod';

/** Micro-dollars: 1 USD = 1_000_000n. Every money value in code is one of these. */
export type MicroUsd = bigint;

export const MICROS_PER_USD = 1_000_000n;
const DECIMAL_PLACES = 6;
const STRICT_DECIMAL = /^(-)?(\d+)(?:\.(\d{1,6}))?$/;
const ANY_DECIMAL = /^(-|\+)?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

export class MoneyFormatError extends Error {
  constructor(
    readonly input: string,
    reason: string,
  ) {
    super(`invalid money amount ${JSON.stringify(input)}: ${reason}`);
    this.name = 'MoneyFormatError';
  }
}

/** Parses a decimal string with at most 6 places ("12.5", "-0.000001") into micro-dollars, exactly. */
export function parseUsd(decimal: string): MicroUsd {
  const m = STRICT_DECIMAL.exec(decimal.trim());
  if (!m)
    throw new MoneyFormatError(decimal, 'expected a decimal number with at most 6 places, like 12.345678');
  const [, sign, whole, frac = ''] = m;
  const micros = BigInt(whole!) * MICROS_PER_USD + BigInt(frac.padEnd(DECIMAL_PLACES, '0'));
  return sign ? -micros : micros;
}

/**
 * Parses any decimal a bill or price list may carry (more than 6 places, exponent notation such as
 * "1.2E-4") and rounds half-to-even to micro-dollars, so that rounding is unbiased over many rows.
 */
export function parseUsdRounded(decimal: string): MicroUsd {
  const m = ANY_DECIMAL.exec(decimal.trim());
  if (!m || (m[2] === '' && (m[3] === undefined || m[3] === ''))) {
    throw new MoneyFormatError(decimal, 'expected a decimal number');
  }
  const [, sign, whole = '', frac = '', exp = '0'] = m;
  // Bounded before any arithmetic: "1e300000000" would build a 300-million-digit number.
  if (whole.replace(/^0+/, '').length + frac.length > 40 || Math.abs(Number(exp)) > 40)
    throw new MoneyFormatError(decimal, 'more than 40 digits or an exponent beyond ±40');
  const digits = BigInt((whole || '0') + frac);
  // value = digits × 10^(exp − frac.length); micro-dollars = value × 10^6
  const shift = Number(exp) - frac.length + DECIMAL_PLACES;
  let micros: bigint;
  if (shift >= 0) micros = digits * 10n ** BigInt(shift);
  else micros = divRoundHalfEven(digits, 10n ** BigInt(-shift));
  return sign === '-' ? -micros : micros;
}

/** Formats micro-dollars as a decimal string with exactly 6 places: the wire, DynamoDB and CSV form. */
export function formatUsd(micros: MicroUsd): string {
  const negative = micros < 0n;
  const abs = negative ? -micros : micros;
  const whole = abs / MICROS_PER_USD;
  const frac = (abs % MICROS_PER_USD).toString().padStart(DECIMAL_PLACES, '0');
  return `${negative ? '-' : ''}${whole}.${frac}`;
}

/** Formats for people: "$1,234.57" (rounded half-even to the cent). */
export function formatUsdForDisplay(micros: MicroUsd): string {
  const cents = divRoundHalfEven(micros, 10_000n);
  const negative = cents < 0n;
  const abs = negative ? -cents : cents;
  const whole = (abs / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '-' : ''}$${whole}.${(abs % 100n).toString().padStart(2, '0')}`;
}

/** Micro-dollars from a float dollar figure (a catalog price, a user flag); never use on computed money. */
export function usdFromNumber(dollars: number): MicroUsd {
  if (!Number.isFinite(dollars)) throw new MoneyFormatError(String(dollars), 'not a finite number');
  return parseUsdRounded(dollars.toFixed(9));
}

/** Dollars as a float, for charts and solver coefficients only; never for reported money. */
export function usdToNumber(micros: MicroUsd): number {
  return Number(micros) / 1e6;
}

/** a / b rounded half-to-even; b must be positive. */
export function divRoundHalfEven(a: bigint, b: bigint): bigint {
  if (b <= 0n) throw new RangeError('divisor must be positive');
  const negative = a < 0n;
  const abs = negative ? -a : a;
  let q = abs / b;
  const r = abs % b;
  const twice = r * 2n;
  if (twice > b || (twice === b && q % 2n === 1n)) q += 1n;
  return negative ? -q : q;
}

/** The cost of running at `usdPerHour` for `seconds`: computed once, rounded half-even to the micro-dollar. */
export function costForSeconds(usdPerHour: MicroUsd, seconds: number | bigint): MicroUsd {
  const s = typeof seconds === 'bigint' ? seconds : BigInt(Math.round(seconds));
  return divRoundHalfEven(usdPerHour * s, 3600n);
}

/** Sum of many amounts. */
export function sumUsd(values: Iterable<MicroUsd>): MicroUsd {
  let total = 0n;
  for (const v of values) total += v;
  return total;
}

// Number weights (GPU-seconds, MIG fractions) become integers at this scale before the exact split.
const WEIGHT_SCALE = 1_000_000;

function toIntegerWeight(w: number | bigint, index: number): bigint {
  if (typeof w === 'bigint') {
    if (w < 0n) throw new RangeError(`weight ${index} is negative`);
    return w;
  }
  if (!Number.isFinite(w) || w < 0)
    throw new RangeError(`weight ${index} must be a finite number ≥ 0, got ${w}`);
  return BigInt(Math.round(w * WEIGHT_SCALE));
}

/**
 * Splits `total` over `weights` by the largest-remainder method: each part gets the floor of its exact
 * share, and the micro-dollars left over go one each to the largest remainders (ties to the earlier
 * index), so the parts always sum to `total`. All-zero weights split evenly.
 */
export function splitLargestRemainder(total: MicroUsd, weights: readonly (number | bigint)[]): MicroUsd[] {
  if (weights.length === 0) {
    if (total !== 0n) throw new RangeError('cannot split a non-zero amount over no parts');
    return [];
  }
  if (total < 0n) return splitLargestRemainder(-total, weights).map((p) => -p);
  let ints = weights.map(toIntegerWeight);
  let weightSum = ints.reduce((a, b) => a + b, 0n);
  if (weightSum === 0n) {
    ints = ints.map(() => 1n);
    weightSum = BigInt(ints.length);
  }
  const parts = ints.map((w) => (total * w) / weightSum);
  const remainders = ints.map((w, i) => ({ i, r: (total * w) % weightSum }));
  let left = total - parts.reduce((a, b) => a + b, 0n);
  remainders.sort((a, b) => (a.r === b.r ? a.i - b.i : a.r > b.r ? -1 : 1));
  for (let k = 0; left > 0n; k++, left--) parts[remainders[k]!.i]! += 1n;
  return parts;
}

const USD_AMOUNT_MESSAGE = 'expected dollars as a decimal string with at most 6 places, like "1.25"';
/**
 * A configured amount of money (an on-prem GPU-hour, a rate): dollars as a decimal string with at most 6 places,
 * like "1.25", read exactly into micro-dollars. Never a JSON number: a float is not money.
 */
export const zUsdAmount = z
  .string({ error: USD_AMOUNT_MESSAGE })
  .regex(/^\d+(\.\d{1,6})?$/, USD_AMOUNT_MESSAGE)
  .transform((text) => parseUsd(text));

/**
 * The same amount where a config has long taken a JSON number: the number is read through its shortest decimal
 * text (what the file says, 1.25 → "1.25"), so it lands on exactly that many micro-dollars, never on a float's
 * neighbour; one with more than 6 places, negative or in exponent form is refused like a bad string.
 */
export const zUsdAmountOrNumber = z
  .union([z.string(), z.number().transform((n) => String(n))], { error: USD_AMOUNT_MESSAGE })
  .pipe(zUsdAmount);
