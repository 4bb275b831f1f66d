// bench:simulate scores the optimizer at each P by its run that decided at that P, never by another P's run.
import { describe, expect, it } from 'vitest';
import {
  optimizerVsBestPeerAt,
  penaltiesToRun,
  penalizedAt,
  runAt,
  type GridRun,
  type RunFigures,
} from '../../bench/penalty-scoring.ts';

// A late GPU-hour's penalty at P = 1 in these runs: $4 (an on-demand GPU-hour), in micro-dollars.
const UNIT = 4_000_000;
const run = (billUsd: number, lateGpuHours: number, p: number): RunFigures => {
  const costUsd = BigInt(billUsd * 1e6);
  const latePenaltyUsd = BigInt(Math.round(p * lateGpuHours * UNIT));
  return {
    costUsd,
    latePenaltyUsd,
    penalizedCostUsd: costUsd + latePenaltyUsd,
    latePenaltyMultiplier: p,
    lateGpuHours,
  };
};

// The optimizer holds less at P = 1 (cheaper bill, many late hours) than at P = 10 (dearer, few late hours).
const runs: GridRun[] = [
  { policy: 'optimizer', label: 'penalty-priced', decidedAt: 1, run: run(1000, 50, 1) },
  { policy: 'optimizer', label: 'penalty-priced', decidedAt: 10, run: run(1100, 5, 10) },
  { policy: 'optimizer', label: 'penalty-priced', decidedAt: 0, run: run(950, 80, 0) },
  { policy: 'spot-first', label: 'headroom 0.1', run: run(1200, 20, 1) },
  { policy: 'spot-reserved', label: 'headroom 0.1', run: run(1100, 40, 1) },
];
const labels = { optimizer: 'penalty-priced', 'spot-first': 'headroom 0.1', 'spot-reserved': 'headroom 0.1' };
const peers = ['spot-first', 'spot-reserved'];

describe('bench:simulate scoring by P', () => {
  it('scores the optimizer at P = 10 by its run that decided at P = 10, not the P = 1 run re-scored', () => {
    const { ratio, bestPeer } = optimizerVsBestPeerAt(runs, labels, peers, 10);
    // Peers do not read P: their one run is re-scored, 1200 + 10 × 20 × 4 = 2000 < 1100 + 10 × 40 × 4 = 2700.
    expect(bestPeer).toBe('spot-first');
    const atTen = (1100e6 + 10 * 5 * UNIT) / (1200e6 + 10 * 20 * UNIT);
    expect(ratio).toBeCloseTo(atTen, 12);
    const fromTheP1Run = (1000e6 + 10 * 50 * UNIT) / (1200e6 + 10 * 20 * UNIT);
    expect(ratio).not.toBeCloseTo(fromTheP1Run, 3);
  });

  it('scores each P by its own run, and the best peer can change with P', () => {
    expect(optimizerVsBestPeerAt(runs, labels, peers, 1)).toEqual({
      ratio: (1000e6 + 50 * UNIT) / (1100e6 + 40 * UNIT),
      bestPeer: 'spot-reserved',
    });
    expect(optimizerVsBestPeerAt(runs, labels, peers, 0).ratio).toBeCloseTo(950 / 1100, 12);
  });

  it('throws rather than lend another P’s run to a policy that reads P', () => {
    expect(() => optimizerVsBestPeerAt(runs, labels, peers, 3)).toThrow(/decided at P = 3/);
    expect(runAt(runs, 'spot-first', 'headroom 0.1', 3)).toBe(runs[3]!.run);
  });

  it('re-scores a run linearly in P, except a run at P = 0 (its penalty says nothing of its late hours)', () => {
    expect(penalizedAt(runs[3]!.run, 3)).toBe(1200e6 + 3 * 20 * UNIT);
    expect(penalizedAt(runs[2]!.run, 0)).toBe(950e6);
    expect(() => penalizedAt(runs[2]!.run, 1)).toThrow(/P = 0/);
  });

  it('runs a point that reads P at every P, the others at the headline alone', () => {
    expect(penaltiesToRun(true, [0, 1, 3, 10], 1)).toEqual([0, 1, 3, 10]);
    expect(penaltiesToRun(false, [0, 1, 3, 10], 1)).toEqual([1]);
  });
});
