import { describe, expect, it } from 'vitest';
import { mergeByNodeWindow, mergeRollups, rollupBatch } from '../../lib/domain/usage.ts';
import { sampleBatch } from '../support/samples.ts';

describe('window rollups', () => {
  it('rolls a batch into per-GPU figures and busy GPU-seconds per job', () => {
    const r = rollupBatch(sampleBatch());
    expect(r.eventId).toBe('boot-1@2026-01-05T10:00:00Z');
    expect(r.gpus[0]).toMatchObject({
      sampleCount: 2,
      sampledSeconds: 20,
      busySeconds: 10,
      utilizationMinPct: 90,
      utilizationMaxPct: 90,
      energyJoules: 3000,
    });
    expect(r.jobs).toEqual([
      { jobId: 'job-7', user: 'ada', project: undefined, team: 'llm', gpuSeconds: 10 },
    ]);
  });

  it('keeps two partial rollups of one window (agent restart) apart and merges them on read', () => {
    const a = rollupBatch(sampleBatch());
    const b = rollupBatch(sampleBatch({ bootId: 'boot-2' }));
    expect(a.eventId).not.toBe(b.eventId);
    const merged = mergeRollups([a, b]);
    expect(merged.gpus[0]!.sampleCount).toBe(4);
    expect(merged.gpus[0]!.busySeconds).toBe(20);
    expect(merged.jobs[0]!.gpuSeconds).toBe(20);
    expect(
      mergeByNodeWindow([a, b, rollupBatch(sampleBatch({ windowStart: '2026-01-05T10:05:00Z' }))]),
    ).toHaveLength(2);
  });
});
