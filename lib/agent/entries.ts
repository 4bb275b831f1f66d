// PutEvents entries for utilization batches, their size by AWS's rule, and their grouping into calls.
import { EVENT_TYPES, MAX_EVENT_BYTES, SOURCES } from '../domain/events.ts';
import {
  groupForPutEvents,
  PUT_EVENTS_MAX_ENTRIES,
  putEventsEntryBytes,
  type PutEventsEntry,
} from '../domain/ports.ts';
import type { UtilizationBatch } from '../domain/usage.ts';

/** The fields of a PutEventsRequestEntry the agent sets; what the spool keeps, byte for byte. */
export type PutEntry = PutEventsEntry & { Resources?: string[] };

/** PutEvents accepts at most this many entries a call. */
export const MAX_ENTRIES_PER_CALL = PUT_EVENTS_MAX_ENTRIES;

/** An entry's size as EventBridge counts it (lib/domain/ports.ts). */
export const entrySize: (entry: PutEntry) => number = putEventsEntryBytes;

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
 * Groups entries, in order, into calls of at most 10 entries whose total size stays under 256 KB. The agent
 * splits its batches to fit before spooling them, so an entry too large here is a fault, not something to send.
 */
export function groupIntoCalls<T>(items: readonly T[], sizeOf: (item: T) => number): T[][] {
  for (const item of items) {
    const size = sizeOf(item);
    if (size >= MAX_EVENT_BYTES) throw new EntryTooLargeError(size);
  }
  return groupForPutEvents(items, sizeOf);
}
