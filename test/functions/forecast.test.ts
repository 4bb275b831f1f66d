import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DAY_MS, HOUR_MS, toRfc3339, WINDOW_MS } from '../../lib/domain/time.ts';
import { node, windows } from '../idle/build.ts';
import { workload } from '../optimizer/builders.ts';
import { captureEmf, doorTable, emfMetric, mockBus, schedulerEvent } from './support.ts';

const ISSUED = Date.parse('2026-03-04T12:00:00Z');
const LAST_HOUR = ISSUED - HOUR_MS;

const bus = mockClient(EventBridgeClient);
const putEvents = mockBus(bus);

describe('functions/forecast', () => {
  beforeAll(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(ISSUED + 2 * 60_000);
  });
  afterAll(() => vi.useRealTimers());

  it('stores each class forecast, announces an anomaly, and emits forecast vs actual per class and for the fleet', async () => {
    const { store } = await doorTable({ forecast: { historyDays: 2, horizonHours: 24 } });
    await store.classes.put(workload('batch', { team: 'ml' }));
    await store.classes.put(workload('web', { team: 'web' }));
    // Two days of a 2-GPU node kept busy by an ml job: 2 GPUs demanded every hour.
    const trainer = node({ nodeId: 'i-0a1b2c3d4e5f60001', gpuCount: 2 });
    const job = { jobId: 'train-1', user: 'ada', team: 'ml', gpuSeconds: 600 };
    await store.rollups.put(
      windows(trainer, ISSUED, (2 * DAY_MS) / WINDOW_MS, { utilizationPct: 90 }, { jobs: [job] }),
    );
    // The forecast of a day ago: p90 of 2.5 GPUs for its first 12 hours and 1.6 after, while 2 came every hour.
    const dayAgo = ISSUED - DAY_MS;
    await store.forecasts.put({
      classId: 'batch',
      issuedAt: toRfc3339(dayAgo),
      stepSeconds: 3600,
      model: 'seasonal-naive',
      scores: [],
      steps: Array.from({ length: 48 }, (_, k) => ({
        at: toRfc3339(dayAgo + k * HOUR_MS),
        point: 1.5,
        p50: 1.5,
        p90: k < 12 ? 2.5 : 1.6,
        p99: 3,
      })),
    });
    // The latest forecast, three hours old: 1.5 GPUs, and never 2 — which is what came every hour since.
    await store.forecasts.put({
      classId: 'batch',
      issuedAt: toRfc3339(ISSUED - 3 * HOUR_MS),
      stepSeconds: 3600,
      model: 'seasonal-naive',
      scores: [],
      steps: [0, 1, 2, 3].map((k) => ({
        at: toRfc3339(ISSUED - 3 * HOUR_MS + k * HOUR_MS),
        point: 1.5,
        p50: 1.5,
        p90: 1.6,
        p99: 1.7,
      })),
    });

    const { handler } = await import('../../functions/forecast.ts');
    const emf = captureEmf();
    const result = await handler(schedulerEvent(ISSUED, 'forecast'), {} as Context).finally(emf.restore);

    expect(result.issuedAt).toBe(toRfc3339(ISSUED));
    expect(result.forecasts.map((f) => f.classId)).toEqual(['batch', 'web']);
    const stored = await store.forecasts.latest('batch');
    expect(stored?.issuedAt).toBe(toRfc3339(ISSUED));
    expect(stored?.steps).toHaveLength(24);
    expect(putEvents()).toEqual([
      expect.objectContaining({
        source: 'gpu-optimizer.decisions',
        detailType: 'Demand Anomaly',
        detail: expect.objectContaining({ classId: 'batch' }),
      }),
    ]);

    // The day-ahead forecast covered half its hours: the realised p90 coverage, per class and for the fleet.
    expect(result.p90Coverage).toBeCloseTo(0.5, 9);
    const service = 'gpu-optimizer-forecast';
    expect(emf.lines.map((line) => emfMetric(line, 'ForecastP90CoveragePct'))).toEqual([
      expect.objectContaining({ unit: 'Percent', value: 50, dimensions: { service, classId: 'batch' } }),
      // No forecast of a day ago for it: nothing scored, no figure.
      undefined,
      expect.objectContaining({ unit: 'Percent', value: 50, dimensions: { service } }),
    ]);

    const figures = emf.lines.map((line) => ({
      dimensions: line._aws.CloudWatchMetrics[0]!.Dimensions,
      forecast: emfMetric(line, 'ForecastGpus'),
      actual: emfMetric(line, 'ActualGpus'),
    }));
    expect(figures).toEqual([
      {
        dimensions: [['service', 'classId']],
        forecast: {
          namespace: 'GpuOptimizer',
          unit: 'Count',
          value: 1.5,
          dimensions: { service, classId: 'batch' },
          atMs: LAST_HOUR,
        },
        actual: {
          namespace: 'GpuOptimizer',
          unit: 'Count',
          value: 2,
          dimensions: { service, classId: 'batch' },
          atMs: LAST_HOUR,
        },
      },
      {
        // No forecast was ever made for it, and no GPU of it was busy.
        dimensions: [['service', 'classId']],
        forecast: undefined,
        actual: expect.objectContaining({ value: 0, dimensions: { service, classId: 'web' } }),
      },
      {
        // The fleet's totals, on the series the dashboard draws.
        dimensions: [['service']],
        forecast: expect.objectContaining({ value: 1.5, dimensions: { service }, atMs: LAST_HOUR }),
        actual: expect.objectContaining({ value: 2, dimensions: { service }, atMs: LAST_HOUR }),
      },
    ]);
  });
});
