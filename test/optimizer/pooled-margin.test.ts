// Risk pooling of the first hour's margin: teams on shared capacity hold one margin on their sum.
import { describe, expect, it } from 'vitest';
import { HOUR_MS, toRfc3339 } from '../../lib/domain/time.ts';
import { decide, type ClassEvidence } from '../../lib/optimizer/decide.ts';
import { splitPooledPlan, summedEvidence } from '../../lib/optimizer/pooled-margin.ts';
import { flatForecastAt, pool, quote, START_MS, workload } from './builders.ts';

const forecastAt = (classId: string, atMs: number, point: number) => flatForecastAt(classId, atMs, { point });

describe('the evidence of a sum of classes', () => {
  it('sums each hour, carrying a class over its gap and counting it 0 before it started', () => {
    const summed = summedEvidence([
      {
        actual: [
          { hourStartMs: 0, gpus: 10 },
          { hourStartMs: HOUR_MS, gpus: 12 },
          { hourStartMs: 3 * HOUR_MS, gpus: 8 },
        ],
        pastForecasts: [],
      },
      {
        actual: [
          { hourStartMs: 2 * HOUR_MS, gpus: 5 },
          { hourStartMs: 3 * HOUR_MS, gpus: 6 },
        ],
        pastForecasts: [],
      },
    ]);
    expect(summed.actual.map((a) => a.gpus)).toEqual([10, 12, 12 + 5, 8 + 6]);
  });

  it('sums the first hours of forecasts issued for every class at the same hour, and only those', () => {
    const summed = summedEvidence([
      { actual: [], pastForecasts: [forecastAt('a', 0, 10), forecastAt('a', HOUR_MS, 11)] },
      { actual: [], pastForecasts: [forecastAt('b', HOUR_MS, 4)] },
    ]);
    expect(summed.pastForecasts).toHaveLength(1);
    expect(summed.pastForecasts[0]!.issuedAt).toBe(toRfc3339(HOUR_MS));
    expect(summed.pastForecasts[0]!.steps[0]!.point).toBe(15);
  });
});

describe('splitting the pooled plan', () => {
  it('gives each class its centre and the margin in proportion to what it would hold alone', () => {
    const shares = splitPooledPlan(
      [
        { classId: 'a', centre: 100, alone: 130 },
        { classId: 'b', centre: 50, alone: 60 },
      ],
      170,
    );
    // Margin 20 split 30 : 10.
    expect(shares.get('a')).toBeCloseTo(115, 9);
    expect(shares.get('b')).toBeCloseTo(55, 9);
    expect([...shares.values()].reduce((x, y) => x + y, 0)).toBeCloseTo(170, 9);
  });

  it('never plans a class below its centre', () => {
    const shares = splitPooledPlan([{ classId: 'a', centre: 100, alone: 120 }], 90);
    expect(shares.get('a')).toBe(100);
  });
});

describe('the optimize decision on shared capacity', () => {
  const p4d = pool('p4d.24xlarge');
  const prices = [quote(p4d.id, 'on-demand', '32.00'), quote(p4d.id, 'spot', '9.60')];
  const a = workload('team-a', { minGpuMemoryGiB: 80 });
  const b = workload('team-b', { minGpuMemoryGiB: 80 });
  // Two teams whose swings cancel: when one is up the other is down, so their sum hardly moves.
  const swing = (i: number) => Math.round(100 * Math.sin(i * 2.3));
  const evidence = (id: string, sign: number): ClassEvidence => {
    const actual = Array.from({ length: 168 }, (_, i) => ({
      hourStartMs: START_MS - (168 - i) * HOUR_MS,
      gpus: 500 + sign * swing(i),
    }));
    return {
      latest: forecastAt(id, START_MS, 500),
      actual,
      pastForecasts: actual.map((x) => forecastAt(id, x.hourStartMs, 500)),
    };
  };
  const firstHour = async (options: { sharing?: 'shared' | 'dedicated'; pool?: boolean }) => {
    const decision = await decide(
      {
        startMs: START_MS,
        pools: [p4d],
        prices,
        classes: [a, b],
        evidence: new Map([
          [a.id, evidence(a.id, 1)],
          [b.id, evidence(b.id, -1)],
        ]),
        fleet: [],
        ...(options.sharing ? { sharing: options.sharing } : {}),
      },
      {
        horizonHours: 24,
        hourAhead: { coverage: 0.9, ...(options.pool === undefined ? {} : { pool: options.pool }) },
      },
      { planId: 'p', createdAtMs: START_MS },
    );
    return decision.firstHour;
  };
  const total = (rows: { plan: number }[]) => rows.reduce((x, r) => x + r.plan, 0);

  it('holds one margin for teams whose misses cancel, far below a margin each', async () => {
    const pooled = await firstHour({});
    const alone = await firstHour({ pool: false });
    expect(pooled.every((r) => r.pooledWith !== undefined)).toBe(true);
    expect(alone.every((r) => r.pooledWith === undefined)).toBe(true);
    // Alone, each team holds a margin for its ±100 swings; together their sum stays at 1,000.
    expect(total(alone) - 1000).toBeGreaterThan(100);
    expect(total(pooled)).toBeLessThan(total(alone) - 100);
    expect(total(pooled)).toBeGreaterThanOrEqual(1000);
  });

  it('keeps a margin each where each team holds instances of its own', async () => {
    const dedicated = await firstHour({ sharing: 'dedicated' });
    const alone = await firstHour({ pool: false });
    expect(dedicated.map((r) => r.plan)).toEqual(alone.map((r) => r.plan));
    expect(dedicated.every((r) => r.pooledWith === undefined)).toBe(true);
  });
});
