import { describe, expect, it } from 'vitest';
import {
  expectedWindows,
  HOUR_MS,
  parseRfc3339,
  TimeFormatError,
  toRfc3339,
  weekStart,
  windowStart,
  windowStartsIn,
} from '../../lib/domain/time.ts';

describe('time at the edges', () => {
  it('parses RFC 3339 with Z or an offset, and formats UTC with Z', () => {
    expect(parseRfc3339('2026-01-31T12:00:00Z')).toBe(Date.UTC(2026, 0, 31, 12));
    expect(parseRfc3339('2026-01-31T13:00:00+01:00')).toBe(Date.UTC(2026, 0, 31, 12));
    expect(toRfc3339(Date.UTC(2026, 0, 31, 12))).toBe('2026-01-31T12:00:00Z');
    expect(toRfc3339(Date.UTC(2026, 0, 31, 12, 0, 0, 250))).toBe('2026-01-31T12:00:00.250Z');
  });

  it('refuses times without a zone or out of range, naming the input', () => {
    for (const bad of [
      '2026-01-31 12:00:00',
      '2026-01-31T12:00:00',
      '2026-13-01T00:00:00Z',
      'yyyy-mm-ddThh:mm:ssZ',
    ]) {
      expect(() => parseRfc3339(bad)).toThrow(TimeFormatError);
    }
  });

  it('refuses days the month does not have, and keeps leap days of leap years only', () => {
    for (const bad of [
      '2026-02-31T00:00:00Z',
      '2026-02-29T00:00:00Z',
      '2026-04-31T10:00:00Z',
      '1900-02-29T00:00:00Z',
    ]) {
      expect(() => parseRfc3339(bad), bad).toThrow(TimeFormatError);
    }
    expect(toRfc3339(parseRfc3339('2028-02-29T00:00:00Z'))).toBe('2028-02-29T00:00:00Z');
    expect(toRfc3339(parseRfc3339('2000-02-29T12:00:00Z'))).toBe('2000-02-29T12:00:00Z');
  });

  it('reads the canonical form exactly as the general parser does, and refuses the same malformed ones', () => {
    // Every day of a leap and a common year at odd times, round-tripped through the canonical form.
    for (
      let ms = Date.UTC(2027, 11, 31, 23, 59, 59);
      ms > Date.UTC(2023, 11, 1);
      ms -= 23 * HOUR_MS + 61_000
    ) {
      expect(parseRfc3339(toRfc3339(ms))).toBe(ms);
    }
    for (const bad of [
      '2026-01-31T24:00:00Z',
      '2026-01-31T12:60:00Z',
      '2026-01-31T12:00:60Z',
      '2026-00-10T12:00:00Z',
      '2026-01-00T12:00:00Z',
      '2026-01-3xT12:00:00Z',
      '2026-01-31X12:00:00Z',
      '+026-01-31T12:00:00Z',
    ]) {
      expect(() => parseRfc3339(bad), bad).toThrow(TimeFormatError);
    }
    // A year before 100 is not read as 19xx.
    expect(parseRfc3339('0099-01-01T00:00:00Z')).toBe(Date.parse('0099-01-01T00:00:00Z'));
    expect(parseRfc3339('2026-01-31t12:00:00z')).toBe(Date.UTC(2026, 0, 31, 12));
  });

  it('aligns windows to 5 minutes and weeks to Monday, in UTC', () => {
    expect(toRfc3339(windowStart(Date.UTC(2026, 0, 31, 12, 7, 59)))).toBe('2026-01-31T12:05:00Z');
    expect(toRfc3339(weekStart(Date.UTC(2026, 1, 1, 23)))).toBe('2026-01-26T00:00:00Z'); // a Sunday
  });

  it('lists the windows of an hour, and of any span by the windows that start in it', () => {
    const hour = Date.UTC(2026, 0, 31, 12);
    const ofHour = windowStartsIn(hour, hour + HOUR_MS).map(toRfc3339);
    expect(ofHour).toHaveLength(12);
    expect([ofHour[0], ofHour[11]]).toEqual(['2026-01-31T12:00:00Z', '2026-01-31T12:55:00Z']);
    // 12:07 to 12:20: the windows of 12:10 and 12:15 start inside it.
    expect(windowStartsIn(hour + 7 * 60_000, hour + 20 * 60_000).map(toRfc3339)).toEqual([
      '2026-01-31T12:10:00Z',
      '2026-01-31T12:15:00Z',
    ]);
  });

  it('expects one report per whole window of a span, and at least one', () => {
    const now = Date.UTC(2026, 0, 31, 12);
    expect(expectedWindows(now - 60 * 60_000, now)).toBe(12);
    expect(expectedWindows(now - 14 * 60_000, now)).toBe(2);
    expect(expectedWindows(now - 60_000, now)).toBe(1);
  });
});
