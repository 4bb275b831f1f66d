// The EventSink on an EventBridge bus: encodes each event to its wire form and reports per-entry failures.
import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { tryToWire } from '../domain/events.ts';
import {
  groupForPutEvents,
  putEventsEntryBytes,
  wireEventEntry,
  type EventSink,
  type PutEventsOutcome,
} from '../domain/ports.ts';

export interface EventBridgeSinkOptions {
  client: Pick<EventBridgeClient, 'send'>;
  eventBusName: string;
}

/** Events onto the bus; entries that fail to encode or that the bus refuses come back as failures, by index. */
export function createEventBridgeSink(options: EventBridgeSinkOptions): EventSink {
  return {
    async put(batch): Promise<PutEventsOutcome> {
      const failed: PutEventsOutcome['failed'] = [];
      const entries: (ReturnType<typeof wireEventEntry> & { index: number })[] = [];
      batch.forEach((event, index) => {
        const wire = tryToWire(event);
        if (!wire.ok) failed.push({ index, error: wire.error });
        else entries.push({ index, ...wireEventEntry(wire.wire) });
      });
      for (const chunk of groupForPutEvents(entries, putEventsEntryBytes)) {
        const out = await options.client.send(
          new PutEventsCommand({
            Entries: chunk.map(({ index: _index, ...entry }) => ({
              ...entry,
              EventBusName: options.eventBusName,
            })),
          }),
        );
        out.Entries?.forEach((result, i) => {
          if (result.ErrorCode)
            failed.push({
              index: chunk[i]!.index,
              error: `${result.ErrorCode}: ${result.ErrorMessage ?? ''}`,
            });
        });
      }
      failed.sort((a, b) => a.index - b.index);
      return { failed };
    },
  };
}
