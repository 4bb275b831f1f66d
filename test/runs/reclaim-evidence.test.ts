// Reclaim releases only on GPU evidence: a node with 0 GPUs and no GPU readings is never called idle, marked or released.
import { describe, expect, it } from 'vitest';
import type { Pool } from '../../lib/domain/pool.ts';
import { createMemoryCapacityProvider } from '../../lib/memory/capacity-provider.ts';
import { manualClock } from '../../lib/memory/clock.ts';
import { createMemoryEventSink } from '../../lib/memory/event-sink.ts';
import { createMemoryStore } from '../../lib/memory/store.ts';
import { runReclaim } from '../../lib/runs/reclaim.ts';
import { node, POOL, T0, windows } from '../idle/build.ts';

const MIN = 60_000;
const pool: Pool = {
  id: POOL,
  provider: 'aws',
  region: 'us-east-1',
  zone: 'us-east-1a',
  instanceType: 'p4d.24xlarge',
  gpuModel: 'A100',
  gpusPerInstance: 2,
  gpuMemoryGiB: 40,
  interconnect: 'nvswitch',
  bootSeconds: 300,
};

describe('reclaim (enforce) and GPU evidence', () => {
  it('never releases a node that reports 0 GPUs and no GPU reading, however long its agent reports', async () => {
    const store = createMemoryStore();
    const clock = manualClock(T0);
    // What a GPU-less instance (or a broken driver) looks like: the agent reports every window, no GPU in any.
    const blind = node({ nodeId: 'no-gpus', gpuCount: 0 });
    const quiet = node({ nodeId: 'quiet' });
    for (const n of [blind, quiet]) await store.nodes.put(n);
    const provider = createMemoryCapacityProvider({ pools: [pool], nodes: [blind, quiet], clock });
    const ports = {
      store,
      providers: { aws: provider },
      events: createMemoryEventSink(),
      clock,
      log: () => {},
    };
    const config = { policy: { mode: 'enforce' as const, maxPoolReleasePct: 100 } };

    const results = [];
    for (let run = 0; run < 15; run++) {
      clock.advance(5 * MIN);
      for (const n of [blind, quiet])
        await store.rollups.put(windows(n, clock.now(), 1, { utilizationPct: 0 }));
      results.push(await runReclaim(ports, config));
    }
    expect(results.flatMap((r) => r.released.map((x) => x.nodeId))).toEqual(['quiet']);
    expect(results.flatMap((r) => r.marked)).not.toContain('no-gpus');
    expect(results.at(-1)!.decisions.find((d) => d.nodeId === 'no-gpus')).toMatchObject({
      decision: 'unknown',
      reason: expect.stringContaining('0 GPUs'),
    });
    expect((await provider.nodes()).find((n) => n.nodeId === 'no-gpus')!.state).toBe('running');
  });
});
