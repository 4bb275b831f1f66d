// UTC time at the edges (RFC 3339 with Z) and the fixed 5-minute windows utilization is rolled up in.

export const WINDOW_SECONDS = 300;
export const WINDOW_MS = WINDOW_SECONDS * 1000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/**
 * How far ahead of the ingest clock a fact may be dated. Producers run NTP-synced clocks and queues never
 * deliver from the future, so a few seconds is the honest gap; 5 minutes (one window) covers a drifting
 * clock, while a reading dated later would win every "newest fact" comparison until that date passes.
 */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/**
 * The span a fact (a reading, a window, a snapshot) may be dated in: before 2000 is a clock that was never
 * set (1970), after 2200 a broken one; keys hold 1970 to 2286, so anything in the span can be stored.
 */
export const EARLIEST_FACT_MS = Date.UTC(2000, 0, 1);
export const LATEST_FACT_MS = Date.UTC(2200, 0, 1);

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

export class TimeFormatError extends Error {
  constructor(readonly input: string) {
    super(`invalid time ${JSON.stringify(input)}: expected RFC 3339, like 2026-01-31T12:00:00Z`);
    this.name = 'TimeFormatError';
  }
}

/** Parses an RFC 3339 timestamp (an offset is accepted and converted) into epoch milliseconds. */
export function parseRfc3339(text: string): number {
  const canonical = parseCanonicalUtc(text);
  if (canonical !== undefined) return canonical;
  const m = RFC3339.exec(text);
  if (!m) throw new TimeFormatError(text);
  const ms = Date.parse(text);
  const [, year, month, day, hour, minute, second] = m;
  if (
    Number.isNaN(ms) ||
    Number(month) < 1 ||
    Number(month) > 12 ||
    Number(day) < 1 ||
    // Date.parse rolls 2026-02-31 over to March 3rd; a calendar refuses it.
    Number(day) > daysInMonth(Number(year), Number(month)) ||
    Number(hour) > 23 ||
    Number(minute) > 59 ||
    Number(second) > 60
  ) {
    throw new TimeFormatError(text);
  }
  return ms;
}

const ZERO = 48;

/** The digits of `text` from `start` to `end` as a number, or -1 when any is not a digit. */
function digitsAt(text: string, start: number, end: number): number {
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = text.charCodeAt(i) - ZERO;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/**
 * The form this product writes everywhere (2026-01-31T12:00:00Z), read without a regular expression or
 * Date.parse: ingest parses several per event. Anything else (an offset, fractions, a year before 100, which
 * Date.UTC would read as 19xx) is left to the general path; a malformed canonical string is refused there too.
 */
function parseCanonicalUtc(text: string): number | undefined {
  if (
    text.length !== 20 ||
    text[4] !== '-' ||
    text[7] !== '-' ||
    text[10] !== 'T' ||
    text[13] !== ':' ||
    text[16] !== ':' ||
    text[19] !== 'Z'
  ) {
    return undefined;
  }
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 7);
  const day = digitsAt(text, 8, 10);
  const hour = digitsAt(text, 11, 13);
  const minute = digitsAt(text, 14, 16);
  const second = digitsAt(text, 17, 19);
  if (
    year < 100 ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > daysInMonth(year, month) ||
    hour < 0 ||
    hour > 23 ||
    minute < 0 ||
    minute > 59 ||
    second < 0 ||
    second > 59
  ) {
    return undefined;
  }
  return Date.UTC(year, month - 1, day, hour, minute, second);
}

/** Days in a month (1–12) of the proleptic Gregorian calendar. */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** True when `ms` lies in the span a fact may be dated in (see EARLIEST_FACT_MS). */
export function isFactTime(ms: number): boolean {
  return ms >= EARLIEST_FACT_MS && ms < LATEST_FACT_MS;
}

export function isRfc3339(text: string): boolean {
  try {
    parseRfc3339(text);
    return true;
  } catch {
    return false;
  }
}

/** Formats epoch milliseconds as RFC 3339 UTC with Z, keeping milliseconds only when there are some. */
export function toRfc3339(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
}

/** The start of the 5-minute UTC window that holds `ms`. */
export function windowStart(ms: number): number {
  return Math.floor(ms / WINDOW_MS) * WINDOW_MS;
}

/** The starts of the windows that begin in [fromMs, toMs), in order (those of an hour: hour, hour + 1 h). */
export function windowStartsIn(fromMs: number, toMs: number): number[] {
  const starts: number[] = [];
  for (let w = Math.ceil(fromMs / WINDOW_MS) * WINDOW_MS; w < toMs; w += WINDOW_MS) starts.push(w);
  return starts;
}

/**
 * The windows a node that reported all along has sent over [fromMs, toMs): whole windows, at least one, so
 * coverage (windows seen ÷ expected) is defined for any span.
 */
export function expectedWindows(fromMs: number, toMs: number): number {
  return Math.max(1, Math.floor((toMs - fromMs) / WINDOW_MS));
}

export function hourStart(ms: number): number {
  return Math.floor(ms / HOUR_MS) * HOUR_MS;
}

export function dayStart(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

/** The Monday 00:00 UTC that starts the ISO week holding `ms`. */
export function weekStart(ms: number): number {
  const day = dayStart(ms);
  const weekday = (new Date(day).getUTCDay() + 6) % 7; // Monday = 0
  return day - weekday * DAY_MS;
}

/** yyyy-mm-dd of the UTC day holding `ms`. */
export function utcDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
