import { describe, expect, it } from 'vitest';
import {
  cleanSeries,
  conformalQuantile,
  coverage,
  mase,
  naiveScale,
  pinball,
  resample,
  smape,
} from '../../forecasting/index.ts';

describe('metrics against hand-computed values', () => {
  it('MASE divides the MAE by the in-sample seasonal naive error', () => {
    // season 2: |3−1| + |4−2| + |7−3| = 8 over 3 → 8/3
    expect(naiveScale([1, 2, 3, 4, 7], 2)).toBeCloseTo(8 / 3, 12);
    // MAE of (1, 3) = 2 → 2 / (8/3) = 0.75
    expect(mase([10, 20], [11, 17], 8 / 3)).toBeCloseTo(0.75, 12);
    expect(mase([1], [2], 0)).toBeNaN();
  });

  it('sMAPE is 200·|a−f|/(|a|+|f|) averaged, 0 where both are 0', () => {
    // 200·10/30 = 66.67, 200·0/0 → 0, 200·50/150 = 66.67 → mean 44.44
    expect(smape([10, 0, 50], [20, 0, 100])).toBeCloseTo((200 / 3 + 0 + 200 / 3) / 3, 10);
  });

  it('pinball loss weighs under-forecasts by q and over-forecasts by 1−q', () => {
    // q=0.9: actual 10 vs 8 → 0.9·2 = 1.8; actual 10 vs 14 → 0.1·4 = 0.4 → mean 1.1
    expect(pinball([10, 10], [8, 14], 0.9)).toBeCloseTo(1.1, 12);
  });

  it('coverage is the share of actuals at or below the upper quantile', () => {
    expect(coverage([1, 2, 3, 4], [1, 1, 5, 5])).toBe(0.75);
  });

  it('the conformal quantile takes the ⌈(n+1)q⌉-th smallest', () => {
    const ten = [5, 1, 9, 3, 7, 2, 8, 4, 10, 6];
    expect(conformalQuantile(ten, 0.5)).toBe(6); // ⌈5.5⌉ = 6th
    expect(conformalQuantile(ten, 0.9)).toBe(10); // ⌈9.9⌉ = 10th
    expect(conformalQuantile(ten, 0.99)).toBe(10); // beyond the data: the largest
  });
});

describe('series preparation', () => {
  const HOUR = 3_600_000;

  it('resamples 5-minute points to hourly means and leaves empty hours as gaps', () => {
    const points = [
      { atMs: 0, gpus: 4 },
      { atMs: 300_000, gpus: 8 },
      { atMs: 2 * HOUR + 600_000, gpus: 3 },
    ];
    const s = resample(points, HOUR);
    expect(s.startMs).toBe(0);
    expect(s.values[0]).toBe(6);
    expect(s.values[1]).toBeNaN();
    expect(s.values[2]).toBe(3);
  });

  it('fills a missing hour from the day before and clips a spike, but keeps a level shift', () => {
    let seed = 3;
    const jitter = () => ((seed = (seed * 1103515245 + 12345) % 2147483648), (seed / 2147483648 - 0.5) * 4);
    const values = Array.from(
      { length: 96 },
      (_, t) => 60 + 20 * Math.sin((2 * Math.PI * t) / 24) + jitter() + (t >= 72 ? 40 : 0),
    );
    values[30] = Number.NaN; // a node stopped reporting: no data in that hour
    values[60] = 5000; // one absurd hour
    const cleaned = cleanSeries({ startMs: 0, stepMs: HOUR, values });
    expect(cleaned.filled).toEqual([30]);
    expect(cleaned.values[30]).toBe(values[6]);
    expect(cleaned.clipped).toEqual([60]);
    expect(cleaned.values[60]).toBeLessThan(100);
    // the last day's +40 shift stays
    expect(cleaned.values.slice(72)).toEqual(values.slice(72));
  });
});
