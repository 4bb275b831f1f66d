// Field schemas shared by every contract: identifiers, RFC 3339 times, money strings, percentages.
import { z } from 'zod';
import { formatUsd, parseUsd } from './money.ts';
import { isRfc3339 } from './time.ts';

/** An RFC 3339 timestamp; the wire form of every time. */
export const zTimestamp = z
  .string()
  .refine(isRfc3339, { message: 'expected an RFC 3339 time, like 2026-01-31T12:00:00Z' });

/** Money on the wire: a decimal string with exactly 6 places (micro-dollars). */
export const zUsd = z
  .string()
  .regex(/^-?\d+\.\d{6}$/, 'expected a decimal string with 6 places, like 12.340000');

export const zId = z.string().min(1).max(256);
export const zPercent = z.number().finite().min(0).max(100);
export const zNonNegative = z.number().finite().min(0);
export const zCount = z.number().int().min(0);

/**
 * Money in a contract: a 6-place decimal string on the wire, a bigint of micro-dollars in code.
 * Decode with `z.decode(schema, wire)`, encode with `z.encode(schema, value)`.
 */
export const zMicroUsd = z.codec(zUsd, z.bigint(), { decode: parseUsd, encode: formatUsd });
