// Random fleets × random launch failures through optimize, interruption and reclaim: no unsafe release, no stranded capacity.
import { describe, expect, it } from 'vitest';
import { runFleetActionChaos } from './fleet-actions.ts';

describe('fleet action chaos', () => {
  it('random fleets and launch failures in enforce mode: no unsafe release, no stranded capacity, no failure', async () => {
    const counts = await runFleetActionChaos({ cases: 60, seed: 15 });
    expect(counts.examples).toEqual([]);
    expect(counts).toMatchObject({ cases: 60, failures: 0, unsafeReleases: 0, strandedCapacityEvents: 0 });
    // The zeros mean something only if the cases released nodes, saw launches fall short and fell back.
    expect(counts.exercised.releases).toBeGreaterThan(0);
    expect(counts.exercised.launchesShort).toBeGreaterThan(0);
    expect(counts.exercised.fallbacks).toBeGreaterThan(0);
  }, 60_000);
});
