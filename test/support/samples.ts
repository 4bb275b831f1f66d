// Sample values of the domain contracts, for tests.
import type { UtilizationBatch } from '../../lib/domain/usage.ts';

export function sampleBatch(overrides: Partial<UtilizationBatch> = {}): UtilizationBatch {
  return {
    schemaVersion: '1',
    node: {
      nodeId: 'i-0abc',
      provider: 'aws',
      region: 'us-east-1',
      zone: 'us-east-1a',
      instanceType: 'p4d.24xlarge',
      poolId: 'aws:us-east-1:us-east-1a:p4d.24xlarge',
      labels: { team: 'llm' },
    },
    bootId: 'boot-1',
    windowStart: '2026-01-05T10:00:00Z',
    sampleIntervalSeconds: 10,
    gpus: [
      {
        index: 0,
        uuid: 'GPU-1',
        model: 'NVIDIA A100-SXM4-40GB',
        memoryTotalMiB: 40960,
        readings: [
          {
            at: '2026-01-05T10:00:00Z',
            utilizationPct: 90,
            memoryUsedMiB: 1000,
            powerW: 300,
            temperatureC: 60,
          },
          {
            at: '2026-01-05T10:00:10Z',
            utilizationPct: null,
            memoryUsedMiB: null,
            powerW: null,
            temperatureC: null,
          },
        ],
        processes: [{ pid: 42, usedMemoryMiB: 1000, jobId: 'job-7', user: 'ada', team: 'llm' }],
      },
    ],
    lastLoginAt: null,
    ...overrides,
  };
}
