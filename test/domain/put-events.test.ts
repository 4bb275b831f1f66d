// PutEvents limits, written once in lib/domain/ports.ts: calls of at most 10 entries under 256 KB together, and the sink that keeps to them.
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createEventBridgeSink } from '../../lib/adapters/eventbridge-sink.ts';
import { makeEvent, MAX_EVENT_BYTES } from '../../lib/domain/events.ts';
import { groupForPutEvents, PUT_EVENTS_MAX_ENTRIES, putEventsEntryBytes } from '../../lib/domain/ports.ts';

const bus = mockClient(EventBridgeClient);
afterEach(() => bus.reset());

describe('PutEvents grouping', () => {
  it('puts at most 10 entries in a call and keeps each call under the size limit', () => {
    const sizes = [...Array.from({ length: 23 }, () => 100), 200_000, 100_000, MAX_EVENT_BYTES + 5, 10];
    const calls = groupForPutEvents(sizes, (s) => s);
    expect(calls.flat()).toEqual(sizes);
    for (const call of calls) {
      expect(call.length).toBeLessThanOrEqual(PUT_EVENTS_MAX_ENTRIES);
      if (call.length > 1) expect(call.reduce((a, b) => a + b, 0)).toBeLessThan(MAX_EVENT_BYTES);
    }
    // An entry over the limit goes alone, so the bus refuses it and not its neighbours.
    expect(calls).toContainEqual([MAX_EVENT_BYTES + 5]);
  });

  it('counts an entry as EventBridge does: 14 bytes of Time, UTF-8 bytes of the rest', () => {
    expect(
      putEventsEntryBytes({
        Source: 'a',
        DetailType: 'bc',
        Detail: '{"é":1}',
        Time: new Date(0),
        Resources: ['r'],
      }),
    ).toBe(14 + 1 + 2 + 8 + 1);
  });
});

describe('the EventBridge sink', () => {
  it('sends 25 events in calls of at most 10 and reports a refused entry by its index', async () => {
    bus.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({
      FailedEntryCount: 0,
      Entries: input.Entries.map((_, i) =>
        i === 1 ? { ErrorCode: 'Throttled', ErrorMessage: 'slow down' } : { EventId: 'e' },
      ),
    }));
    const sink = createEventBridgeSink({
      client: new EventBridgeClient({ region: 'us-east-1' }),
      eventBusName: 'b',
    });
    const events = Array.from({ length: 25 }, (_, i) =>
      makeEvent('Run Failed', {
        schemaVersion: '1',
        run: 'test',
        at: '2026-12-05T00:00:00Z',
        error: `e${i}`,
      }),
    );
    const outcome = await sink.put(events);
    const sent = bus.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries!.length);
    expect(sent).toEqual([10, 10, 5]);
    expect(outcome.failed.map((f) => f.index)).toEqual([1, 11, 21]);
    expect(outcome.failed[0]!.error).toBe('Throttled: slow down');
  });
});
