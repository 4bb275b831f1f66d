// Writes attribution rows as CSV (FOCUS column order, money with 6 places, formula cells neutralised) or JSON.
import { z } from 'zod';
import { ATTRIBUTION_COLUMNS, zAttributionRow, type AttributionRow } from '../domain/attribution.ts';
import { formatUsd } from '../domain/money.ts';
import { csvLine } from '../format/csv.ts';

function cell(value: AttributionRow[keyof AttributionRow]): string {
  if (typeof value === 'bigint') return formatUsd(value);
  // Tags as one JSON object, keys sorted, so the same row always writes the same text.
  if (typeof value === 'object' && value !== null) {
    return JSON.stringify(Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1))));
  }
  return String(value);
}

export function attributionCsv(rows: readonly AttributionRow[]): string {
  const lines = [ATTRIBUTION_COLUMNS.join(',')];
  for (const row of rows) lines.push(csvLine(ATTRIBUTION_COLUMNS.map((c) => cell(row[c]))));
  return `${lines.join('\n')}\n`;
}

/** Rows in their wire form (money as 6-place decimal strings), one JSON array. */
export function attributionJson(rows: readonly AttributionRow[]): string {
  return `${JSON.stringify(
    rows.map((r) => z.encode(zAttributionRow, r)),
    null,
    2,
  )}\n`;
}
