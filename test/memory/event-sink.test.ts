import { describe, expect, it } from 'vitest';
import { createMemoryEventSink } from '../../lib/memory/event-sink.ts';
import { describeEventSinkContract, runFailedEvent } from '../contracts/event-sink-contract.ts';

describeEventSinkContract('in-memory', async () => {
  const sink = createMemoryEventSink();
  return { sink, delivered: async () => sink.events };
});

describe('in-memory event sink', () => {
  it('refuses entries on request so producers can test their retries', async () => {
    const sink = createMemoryEventSink();
    sink.failNext(1, 'ThrottlingException');
    const outcome = await sink.put([runFailedEvent(1), runFailedEvent(2)]);
    expect(outcome.failed).toEqual([{ index: 0, error: 'ThrottlingException' }]);
    expect(sink.events).toHaveLength(1);
  });

  it('hands subscribers the decoded event, money as bigint', async () => {
    const sink = createMemoryEventSink();
    const seen: unknown[] = [];
    sink.subscribe((e) => seen.push(e.detail));
    const { makeEvent } = await import('../../lib/domain/events.ts');
    await sink.put([
      makeEvent('Node Released', {
        schemaVersion: '1',
        nodeId: 'i-1',
        poolId: 'p',
        releasedAt: '2026-01-01T00:00:00Z',
        method: 'stop',
        mode: 'enforce',
        reason: 'idle',
        savedUsdPerHour: 1_234_567n,
      }),
    ]);
    expect(seen).toEqual([expect.objectContaining({ savedUsdPerHour: 1_234_567n })]);
  });
});
