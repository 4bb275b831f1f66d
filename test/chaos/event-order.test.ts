// Any delivery order of one fleet's events gives the same nodes and attribution, and both tell the truth.
import { describe, expect, it } from 'vitest';
import { runEventOrderChaos } from './event-order.ts';

describe('event order chaos', () => {
  it('random fleets in random delivery orders and batchings: same nodes, same attribution, no failure', async () => {
    const counts = await runEventOrderChaos({ cases: 40, seed: 15 });
    expect(counts.examples).toEqual([]);
    expect(counts).toMatchObject({ cases: 40, failures: 0 });
  });
});
