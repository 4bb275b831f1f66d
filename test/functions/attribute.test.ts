import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseUsd, sumUsd } from '../../lib/domain/money.ts';
import { HOUR_MS } from '../../lib/domain/time.ts';
import { node, windows } from '../idle/build.ts';
import { captureEmf, doorTable, emfMetric, schedulerEvent } from './support.ts';

const HOUR = Date.parse('2026-03-02T10:00:00Z');
/** The attribute schedule fires at five past each hour (lib/infra/stack.ts), for the hour before. */
const FIRED = HOUR + HOUR_MS + 5 * 60_000;

describe('functions/attribute', () => {
  beforeAll(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    // Invoked late, as a retried delivery would be: the schedule's own time still picks the hour.
    vi.setSystemTime(FIRED + 3 * HOUR_MS);
  });
  afterAll(() => vi.useRealTimers());

  it('attributes the scheduled hour into FOCUS rows in the table and emits the fleet cost', async () => {
    const { store } = await doorTable({ attribution: { shareIdle: 'separate' } });
    const a = node({ nodeId: 'i-a', poolId: 'pool-a', gpuCount: 2 });
    const b = node({ nodeId: 'i-b', poolId: 'pool-a', purchaseOption: 'spot', gpuCount: 2 });
    for (const n of [a, b]) await store.nodes.put(n);
    await store.prices.put(
      (
        [
          ['on-demand', '8.000000'],
          ['spot', '2.345678'],
        ] as const
      ).map(([option, usd]) => ({
        poolId: 'pool-a',
        option,
        usdPerHour: parseUsd(usd),
        asOf: '2026-03-01T00:00:00Z',
        source: 'catalog' as const,
        modelled: false,
      })),
    );
    const job = { jobId: 'job-1', user: 'ada', project: 'p', team: 'nlp', gpuSeconds: 100 };
    await store.rollups.put([
      ...windows(a, HOUR + HOUR_MS, 12, {}, { jobs: [job] }),
      ...windows(b, HOUR + HOUR_MS, 12, {}, { jobs: [{ ...job, jobId: 'job-2' }] }),
    ]);

    const { handler } = await import('../../functions/attribute.ts');
    const emf = captureEmf();
    const summary = await handler(schedulerEvent(FIRED, 'attribute'), {} as Context).finally(emf.restore);

    expect(summary).toEqual({
      hour: '2026-03-02T10:00:00Z',
      rows: 4,
      fleetCostUsd: '10.345678',
      unpriced: [],
    });
    const rows = await store.attribution.between(HOUR, HOUR + HOUR_MS);
    expect(rows.map((r) => [r.ResourceId, r.x_JobId, r.ChargePeriodStart])).toEqual([
      ['i-a', '__idle__', '2026-03-02T10:00:00Z'],
      ['i-a', 'job-1', '2026-03-02T10:00:00Z'],
      ['i-b', '__idle__', '2026-03-02T10:00:00Z'],
      ['i-b', 'job-2', '2026-03-02T10:00:00Z'],
    ]);
    expect(sumUsd(rows.map((r) => r.EffectiveCost))).toBe(parseUsd('10.345678'));

    expect(emf.lines).toHaveLength(1);
    expect(emf.lines[0]!._aws.CloudWatchMetrics[0]!.Dimensions).toEqual([['service']]);
    expect(emfMetric(emf.lines[0]!, 'FleetCostUsd')).toEqual({
      namespace: 'GpuOptimizer',
      unit: 'None',
      value: 10.345678,
      dimensions: { service: 'gpu-optimizer-attribute' },
      atMs: HOUR,
    });
  });
});
