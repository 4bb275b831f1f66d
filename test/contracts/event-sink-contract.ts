// The behaviour every EventSink promises: valid events accepted in order, failures reported by index.
import { describe, expect, it } from 'vitest';
import { makeEvent } from '../../lib/domain/events.ts';
import type { EventSink } from '../../lib/domain/ports.ts';

export function runFailedEvent(n: number) {
  return makeEvent('Run Failed', {
    schemaVersion: '1',
    run: 'optimize',
    at: '2026-01-05T10:00:00Z',
    error: `boom ${n}`,
  });
}

export function describeEventSinkContract(
  name: string,
  make: () => Promise<{ sink: EventSink; delivered: () => Promise<unknown[]> }>,
) {
  describe(`EventSink contract: ${name}`, () => {
    it('accepts valid events and delivers them in order', async () => {
      const { sink, delivered } = await make();
      const outcome = await sink.put([runFailedEvent(1), runFailedEvent(2), runFailedEvent(3)]);
      expect(outcome.failed).toEqual([]);
      const got = await delivered();
      expect(got).toHaveLength(3);
      expect(JSON.stringify(got)).toMatch(/boom 1.*boom 2.*boom 3/);
    });

    it('reports an invalid event by its index and still delivers its neighbours', async () => {
      const { sink, delivered } = await make();
      const bad = makeEvent('Run Failed', { schemaVersion: '1', run: '', at: 'yesterday', error: 'x' });
      const outcome = await sink.put([runFailedEvent(1), bad, runFailedEvent(3)]);
      expect(outcome.failed.map((f) => f.index)).toEqual([1]);
      expect(await delivered()).toHaveLength(2);
    });
  });
}
