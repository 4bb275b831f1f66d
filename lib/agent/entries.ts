// PutEvents entries for utilization batches, their size by AWS's rule, and their grouping into calls.
import { EVENT_TYPES, MAX_EVENT_BYTES, SOURCES } from '../domain/events.ts';
import type { UtilizationBatch } from '../domain/usage.ts';

/** The fields of a PutEventsRequestEntry the agent sets; what the spool keeps, byte for byte. */
export interface PutEntry {
  Source: string;
  DetailType: string;
  Detail: string;
  Time?: Date;
  Resources?: string[];
}

/** PutEvents accepts at most this many entries a call. */
export const MAX_ENTRIES_PER_CALL = 10;

const utf8Length = (s: string) => Buffer.byteLength(s, 'utf8');

/**
 * An entry's size as EventBridge counts it: Time is 14 bytes; Source, DetailType, Detail and each Resource
 * their UTF-8 bytes ("Calculating PutEvents event entry size", EventBridge User Guide).
 */
export function entrySize(entry: PutEntry): number {
  return (
    (entry.Time ? 14 : 0) +
    utf8Length(entry.Source) +
    utf8Length(entry.DetailType) +
    utf8Length(entry.Detail) +
    (entry.Resources ?? []).reduce((n, r) => n + utf8Length(r), 0)
  );
}

const BATCH_TYPE = 'GPU Utilization Batch' satisfies keyof typeof EVENT_TYPES;

export function batchEntry(batch: UtilizationBatch): PutEntry {
  return { Source: SOURCES.agent, DetailType: BATCH_TYPE, Detail: JSON.stringify(batch) };
}

export function batchEntrySize(batch: UtilizationBatch): number {
  return entrySize(batchEntry(batch));
}

export class EntryTooLargeError extends Error {
  constructor(readonly bytes: number) {
    super(`an entry of ${bytes} bytes is over the ${MAX_EVENT_BYTES}-byte PutEvents limit`);
    this.name = 'EntryTooLargeError';
  }
}

/**
 * Groups entries, in order, into calls of at most 10 entries whose total size stays under 256 KB
 * (EventBridge limits the whole request as well as each entry).
 */
export function groupIntoCalls<T>(
  items: readonly T[],
  sizeOf: (item: T) => number,
  limits = { maxEntries: MAX_ENTRIES_PER_CALL, maxBytes: MAX_EVENT_BYTES },
): T[][] {
  const calls: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (size >= limits.maxBytes) throw new EntryTooLargeError(size);
    if (current.length > 0 && (current.length >= limits.maxEntries || bytes + size >= limits.maxBytes)) {
      calls.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) calls.push(current);
  return calls;
}
