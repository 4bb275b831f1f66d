// A run's events onto the bus in calls PutEvents accepts, with every event the bus did not take and why.
import type { DomainEvent } from '../domain/events.ts';
import { eventEntryBytes, groupForPutEvents, type EventSink } from '../domain/ports.ts';

export interface UnsentEvent {
  event: DomainEvent;
  error: string;
}

/**
 * Puts the events in order, in calls within the PutEvents limits (lib/domain/ports.ts). A call that throws
 * (the bus unreachable) fails its own events and the next calls are still tried: a run reports, never loses
 * track of, what it could not publish.
 */
export async function putEventsInCalls(
  sink: EventSink,
  events: readonly DomainEvent[],
): Promise<UnsentEvent[]> {
  const unsent: UnsentEvent[] = [];
  for (const call of groupForPutEvents(events, eventEntryBytes)) {
    try {
      const outcome = await sink.put(call);
      for (const f of outcome.failed) {
        const event = call[f.index];
        if (event) unsent.push({ event, error: f.error });
      }
    } catch (error) {
      const why = `PutEvents of ${call.length} events: ${error instanceof Error ? error.message : String(error)}`;
      for (const event of call) unsent.push({ event, error: why });
    }
  }
  return unsent;
}
