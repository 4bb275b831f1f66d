import { describe, expect, it } from 'vitest';
import { anomalyEvent, findAnomaly, hourlyDemandByClass, addPending } from '../../forecasting/index.ts';
import { parseWireEvent, toWire } from '../../lib/domain/events.ts';
import type { Forecast } from '../../lib/domain/forecast.ts';
import { toRfc3339 } from '../../lib/domain/time.ts';
import { rollup, workloadClass } from './helpers.ts';

const HOUR = 3_600_000;
const T0 = Date.parse('2024-01-01T00:00:00Z');
const WINDOW = 300_000;

describe('hourly demand per workload class from rollups', () => {
  const classes = [
    workloadClass({ id: 'vision-a100', team: 'vision', allowedGpuModels: ['A100'] }),
    workloadClass({ id: 'speech', team: 'speech' }),
  ];

  it('averages each node over the windows it reported and sums nodes', () => {
    const rollups = [];
    for (let w = 0; w < 12; w++) {
      rollups.push(rollup('n1', T0 + w * WINDOW, 8, 'vision'));
      // n2 reports only half the windows of the hour (it restarted): still 4 busy GPUs, not 2.
      if (w % 2 === 0) rollups.push(rollup('n2', T0 + w * WINDOW, 4, 'vision'));
      rollups.push(rollup('n3', T0 + HOUR + w * WINDOW, 2, 'speech'));
    }
    // A V100 node of vision matches no class (vision only allows A100).
    rollups.push(rollup('n4', T0, 8, 'vision', 'V100'));
    const demand = hourlyDemandByClass(rollups, classes);
    expect(demand.get('vision-a100')).toEqual([
      { atMs: T0, gpus: 12 },
      { atMs: T0 + HOUR, gpus: 0 },
    ]);
    expect(demand.get('speech')).toEqual([
      { atMs: T0, gpus: 0 },
      { atMs: T0 + HOUR, gpus: 2 },
    ]);
  });

  it('adds the queue where it is known', () => {
    expect(
      addPending(
        [
          { atMs: 0, gpus: 4 },
          { atMs: HOUR, gpus: 4 },
        ],
        [{ atMs: HOUR, gpus: 3 }],
      ),
    ).toEqual([
      { atMs: 0, gpus: 4 },
      { atMs: HOUR, gpus: 7 },
    ]);
  });
});

describe('demand anomalies', () => {
  const forecast: Forecast = {
    classId: 'vision',
    issuedAt: toRfc3339(T0),
    stepSeconds: 3600,
    model: 'holt-winters',
    scores: [{ model: 'holt-winters', mase: 0.7, smape: 5, pinball: 1, coverageP90: 0.9 }],
    steps: Array.from({ length: 6 }, (_, k) => ({
      at: toRfc3339(T0 + k * HOUR),
      point: 20,
      p50: 20,
      p90: 24,
      p99: 28,
    })),
  };
  const actual = (gpus: number[]) => gpus.map((g, k) => ({ atMs: T0 + k * HOUR, gpus: g }));

  it('emits when every one of the last N hours is above p99, with the numbers', () => {
    const finding = findAnomaly(forecast, actual([20, 21, 30, 31, 35]), 3)!;
    expect(finding).toEqual({
      classId: 'vision',
      atMs: T0 + 4 * HOUR,
      direction: 'above',
      actualGpus: 35,
      expectedGpus: 20,
      p99Gpus: 28,
      windowHours: 3,
    });
    const event = anomalyEvent(finding, forecast);
    expect(event.detailType).toBe('Demand Anomaly');
    const parsed = parseWireEvent(JSON.parse(JSON.stringify(toWire(event))));
    expect(parsed.ok).toBe(true);
  });

  it('emits below when demand collapses under the mirrored band, and not for one odd hour', () => {
    expect(findAnomaly(forecast, actual([20, 20, 5, 4, 3]), 3)?.direction).toBe('below');
    expect(findAnomaly(forecast, actual([20, 20, 20, 20, 50]), 3)).toBeUndefined();
    expect(findAnomaly(forecast, actual([30, 31]), 3)).toBeUndefined();
  });
});
