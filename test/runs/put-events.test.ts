// A run's events go out in calls within the PutEvents limits; a refused entry or a failing call is reported, never lost.
import { describe, expect, it } from 'vitest';
import { makeEvent, type DomainEvent } from '../../lib/domain/events.ts';
import { PUT_EVENTS_MAX_ENTRIES, type EventSink } from '../../lib/domain/ports.ts';
import { putEventsInCalls } from '../../lib/runs/put-events.ts';

const failure = (i: number) =>
  makeEvent('Run Failed', {
    schemaVersion: '1',
    run: 'forecast',
    part: `class-${i}`,
    at: '2026-03-02T10:00:00Z',
    error: 'x',
  });

describe('putEventsInCalls', () => {
  it('sends every event once in calls of at most 10, and reports the refused and those of a failing call', async () => {
    const events = Array.from({ length: 23 }, (_, i) => failure(i));
    const calls: DomainEvent[][] = [];
    const sink: EventSink = {
      async put(call) {
        calls.push([...call]);
        if (calls.length === 2) throw new Error('connect ECONNREFUSED');
        return { failed: calls.length === 1 ? [{ index: 3, error: 'ThrottlingException' }] : [] };
      },
    };
    const unsent = await putEventsInCalls(sink, events);
    expect(calls.flat()).toEqual(events);
    for (const call of calls) expect(call.length).toBeLessThanOrEqual(PUT_EVENTS_MAX_ENTRIES);
    // The call after the one that threw was still made.
    expect(calls).toHaveLength(3);
    expect(unsent[0]).toEqual({ event: events[3], error: 'ThrottlingException' });
    expect(unsent.slice(1).map((u) => u.event)).toEqual(calls[1]);
    expect(unsent[1]!.error).toBe(`PutEvents of ${calls[1]!.length} events: connect ECONNREFUSED`);
  });
});
