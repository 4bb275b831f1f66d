// Rules both Store implementations share, so memory and DynamoDB behave alike: node patches, attribution hours, price identity.
import { z } from 'zod';
import { zFleetNode, type FleetNode } from '../domain/fleet.ts';
import type { AttributionRow } from '../domain/attribution.ts';
import { quoteKey } from '../domain/price.ts';
import { HOUR_MS, parseRfc3339 } from '../domain/time.ts';
import { ValidationError } from '../domain/validation.ts';
import { encodeEntity } from './codec.ts';

export type NodePatch = Partial<Omit<FleetNode, 'nodeId'>>;

export interface StoredNodePatch {
  /** Field name → stored (encoded) value. */
  set: Record<string, unknown>;
  /** Fields given as undefined: removed, so an optional field is cleared (unmark) and a defaulted one resets. */
  remove: string[];
}

const PATCHABLE = zFleetNode.omit({ nodeId: true }).shape;

export function storedNodePatch(nodeId: string, fields: NodePatch): StoredNodePatch {
  const patch: StoredNodePatch = { set: {}, remove: [] };
  for (const [name, value] of Object.entries(fields)) {
    if (!Object.hasOwn(PATCHABLE, name)) {
      throw new ValidationError(`patch of node ${nodeId}`, `${name}: not a field a node patch may set`);
    }
    if (value === undefined) {
      patch.remove.push(name);
      continue;
    }
    const schema = PATCHABLE[name as keyof typeof PATCHABLE] as z.ZodType;
    patch.set[name] = encodeEntity(
      z.object({ [name]: schema }),
      { [name]: value },
      `patch of node ${nodeId}`,
    )[name];
  }
  return patch;
}

/**
 * An attribution hour must start on the hour and hold only rows charged in it, so that writing the hour
 * again replaces exactly its own rows.
 */
export function checkAttributionHour(hourStartMs: number, rows: readonly AttributionRow[]): void {
  if (!Number.isInteger(hourStartMs) || hourStartMs % HOUR_MS !== 0) {
    throw new RangeError(`attribution hour ${hourStartMs} does not start on a UTC hour`);
  }
  rows.forEach((row, i) => {
    const startMs = parseRfc3339(row.ChargePeriodStart);
    if (startMs < hourStartMs || startMs >= hourStartMs + HOUR_MS) {
      throw new RangeError(
        `attribution row ${i}: ChargePeriodStart ${row.ChargePeriodStart} is outside the hour being written`,
      );
    }
  });
}

/** The identity of a stored quote (the sort key): a newer quote for the same pool, option and term replaces the older. */
export const storedPriceKey = quoteKey;

/** The latest instant a sort key can hold: 13 digits of epoch ms reach the year 2286. */
export const MAX_SORTABLE_MS = 9_999_999_999_999;

/** Epoch ms as 13 zero-padded digits, so that string order in a sort key is time order. */
export function sortableMs(ms: number): string {
  if (!Number.isInteger(ms) || ms < 0 || ms > MAX_SORTABLE_MS) {
    throw new RangeError(`time ${ms} cannot be stored: keys hold whole epoch ms from 1970 to 2286`);
  }
  return String(ms).padStart(13, '0');
}

/** A [from, to) range clamped to what keys can hold, in whole ms; undefined when it holds nothing. */
export function storableRange(fromMs: number, toMs: number): { fromMs: number; toMs: number } | undefined {
  if (Number.isNaN(fromMs) || Number.isNaN(toMs)) throw new RangeError('range bounds must be numbers');
  // An integer instant t is in [from, to) exactly when ceil(from) <= t < ceil(to).
  const from = Math.max(0, Math.ceil(fromMs));
  const to = Math.min(MAX_SORTABLE_MS, Math.ceil(toMs));
  return from < to ? { fromMs: from, toMs: to } : undefined;
}
