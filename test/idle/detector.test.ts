import { describe, expect, it } from 'vitest';
import { decideIdle } from '../../lib/optimizer/idle/detector.ts';
import { findStalledJobs } from '../../lib/optimizer/idle/stalled.ts';
import { thresholdsFor, zIdleThresholdConfig, zIdleThresholds } from '../../lib/optimizer/idle/thresholds.ts';
import { toRfc3339, WINDOW_MS } from '../../lib/domain/time.ts';
import { node, rollup, T0, windows } from './build.ts';

const defaults = zIdleThresholds.parse({});
const NOW = T0;

describe('idle detector', () => {
  it('calls a node idle when every GPU stayed quiet for the whole window with no process and no login', () => {
    const n = node();
    const d = decideIdle(n, windows(n, NOW, 6, { utilizationPct: 2 }), defaults, NOW);
    expect(d.decision).toBe('idle');
    expect(d.idleSinceMs).toBe(NOW - 30 * 60_000);
    expect(d.reason).toContain('every GPU under 5 %');
  });

  it('never calls a node with 0 GPUs, or windows without a GPU reading, idle: nothing says it is', () => {
    const none = node({ gpuCount: 0 });
    const empty = decideIdle(none, windows(none, NOW, 6), defaults, NOW);
    expect(empty.decision).toBe('unknown');
    expect(empty.reason).toContain('0 GPUs');
    const n = node();
    const unsampled = windows(n, NOW, 6).map((w) => ({
      ...w,
      gpus: w.gpus.map((g) => ({ ...g, sampleCount: 0 })),
    }));
    expect(decideIdle(n, unsampled, defaults, NOW).decision).toBe('unknown');
  });

  it('calls it busy when one GPU worked in one window', () => {
    const n = node();
    const rs = windows(n, NOW, 6);
    rs[3] = rollup(n, NOW - 3 * WINDOW_MS, {}, { perGpu: [{}, { utilizationPct: 40 }] });
    const d = decideIdle(n, rs, defaults, NOW);
    expect(d.decision).toBe('busy');
    expect(d.reason).toContain('GPU 1 at 40.0 %');
  });

  it('keeps a node whose GPU runs a job process, or whose scheduler lists a job, even at 0 %', () => {
    const n = node();
    expect(decideIdle(n, windows(n, NOW, 6, { processCount: 1 }), defaults, NOW).decision).toBe('busy');
    const withJob = node({ runningJobs: ['slurm-17'] });
    expect(decideIdle(withJob, windows(withJob, NOW, 6), defaults, NOW).reason).toContain('slurm-17');
  });

  it('keeps a node with an interactive login within the configured time', () => {
    const n = node();
    const recent = windows(n, NOW, 6, {}, { lastLoginAt: toRfc3339(NOW - 20 * 60_000) });
    expect(decideIdle(n, recent, defaults, NOW).decision).toBe('busy');
    const old = windows(n, NOW, 6, {}, { lastLoginAt: toRfc3339(NOW - 90 * 60_000) });
    expect(decideIdle(n, old, defaults, NOW).decision).toBe('idle');
  });

  it('calls a node that stopped reporting unknown, never idle', () => {
    const n = node();
    const silent = windows(n, NOW - 20 * 60_000, 6);
    const d = decideIdle(n, silent, defaults, NOW);
    expect(d.decision).toBe('unknown');
    expect(decideIdle(n, [], defaults, NOW).decision).toBe('unknown');
  });

  it('calls a node unknown when too few windows reported, a GPU is missing, or a GPU has no reading', () => {
    const n = node();
    expect(decideIdle(n, windows(n, NOW, 3), defaults, NOW).decision).toBe('unknown');
    expect(decideIdle(node({ gpuCount: 4 }), windows(n, NOW, 6), defaults, NOW).decision).toBe('unknown');
    const blind = windows(n, NOW, 6, { utilizationPct: null });
    expect(decideIdle(n, blind, defaults, NOW).reason).toContain('no utilization');
  });

  it('judges memory, SM activity and (when configured) power, never anything else', () => {
    const n = node();
    expect(decideIdle(n, windows(n, NOW, 6, { memoryUsedMiB: 20_000 }), defaults, NOW).decision).toBe('busy');
    expect(decideIdle(n, windows(n, NOW, 6, { smActivityPct: 30 }), defaults, NOW).decision).toBe('busy');
    const hot = windows(n, NOW, 6, { powerW: 250 });
    expect(decideIdle(n, hot, defaults, NOW).decision).toBe('idle');
    expect(decideIdle(n, hot, { ...defaults, powerW: 120 }, NOW).decision).toBe('busy');
  });

  it('merges the partial items of a window an agent restarted in', () => {
    const n = node();
    const rs = windows(n, NOW, 6);
    rs.push(rollup(n, NOW - WINDOW_MS, { utilizationPct: 80 }, { eventId: 'boot-2@x' }));
    expect(decideIdle(n, rs, defaults, NOW).decision).toBe('busy');
  });

  it('resolves thresholds per pool and then per team', () => {
    const config = zIdleThresholdConfig.parse({
      pools: { 'pool-b': { utilizationPct: 30, windowMinutes: 60 } },
      teams: { research: { utilizationPct: 50 } },
    });
    expect(thresholdsFor(config, { poolId: 'pool-a', labels: {} }).utilizationPct).toBe(5);
    expect(thresholdsFor(config, { poolId: 'pool-b', labels: {} })).toMatchObject({
      utilizationPct: 30,
      windowMinutes: 60,
    });
    const research = thresholdsFor(config, { poolId: 'pool-b', labels: { team: 'research' } });
    expect(research).toMatchObject({ utilizationPct: 50, windowMinutes: 60 });
    const n = node({ poolId: 'pool-b', labels: { team: 'research' } });
    expect(decideIdle(n, windows(n, NOW, 12, { utilizationPct: 40 }), research, NOW).decision).toBe('idle');
  });
});

describe('stalled jobs', () => {
  it('reports a job alive on its GPUs at 0 % for the whole window, with its owner', () => {
    const n = node();
    const job = { jobId: 'train-9', user: 'ada', team: 'vision', gpuSeconds: 0 };
    const stalled = findStalledJobs(
      n.nodeId,
      windows(n, NOW, 6, { processCount: 1 }, { jobs: [job] }),
      defaults,
      NOW,
    );
    expect(stalled).toEqual([
      expect.objectContaining({ jobId: 'train-9', user: 'ada', team: 'vision', nodeId: 'i-1' }),
    ]);
  });

  it('does not report a job that did any work in the window', () => {
    const n = node();
    const rs = windows(n, NOW, 6, { processCount: 1 }, { jobs: [{ jobId: 'train-9', gpuSeconds: 0 }] });
    rs[5] = rollup(
      n,
      NOW - WINDOW_MS,
      { utilizationPct: 70 },
      { jobs: [{ jobId: 'train-9', gpuSeconds: 600 }] },
    );
    expect(findStalledJobs(n.nodeId, rs, defaults, NOW)).toEqual([]);
  });
});
