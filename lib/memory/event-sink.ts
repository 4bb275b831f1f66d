// An in-memory EventSink: keeps what was put, in order, after the same wire round trip a real bus applies.
import { parseWireEvent, tryToWire, type DomainEvent, type WireEvent } from '../domain/events.ts';
import type { EventSink, PutEventsOutcome } from '../domain/ports.ts';

export interface MemoryEventSink extends EventSink {
  /** Every accepted event, in the order put. */
  readonly events: DomainEvent[];
  /** Refuses the next `n` entries (as a bus with FailedEntryCount would), to test producers' retries. */
  failNext(n: number, error?: string): void;
  /** Calls `listener` for each accepted event; how `simulate` wires subscribers (notify, reports). */
  subscribe(listener: (event: DomainEvent) => void): void;
}

export function createMemoryEventSink(): MemoryEventSink {
  const events: DomainEvent[] = [];
  const listeners: ((event: DomainEvent) => void)[] = [];
  let failing = 0;
  let failure = 'InternalFailure';
  return {
    events,
    failNext(n, error = 'InternalFailure') {
      failing = n;
      failure = error;
    },
    subscribe(listener) {
      listeners.push(listener);
    },
    async put(batch): Promise<PutEventsOutcome> {
      const failed: PutEventsOutcome['failed'] = [];
      batch.forEach((event, index) => {
        if (failing > 0) {
          failing--;
          failed.push({ index, error: failure });
          return;
        }
        // A real bus carries JSON: encode and decode so that what subscribers see is what they would get.
        const encoded = tryToWire(event);
        const parsed = encoded.ok
          ? parseWireEvent(JSON.parse(JSON.stringify(encoded.wire)) as WireEvent)
          : encoded;
        if (!parsed.ok) {
          failed.push({ index, error: `ValidationError: ${parsed.error}` });
          return;
        }
        events.push(parsed.event);
        for (const l of listeners) l(parsed.event);
      });
      return { failed };
    },
  };
}
