// The first hour's margin priced by the late penalty: the newsvendor critical ratio of lateness against held capacity.
import { describe, expect, it } from 'vitest';
import { HOUR_MS } from '../../lib/domain/time.ts';
import { decide, hourAheadCoverage, zDecisionConfig } from '../../lib/optimizer/decide.ts';
import { COVERAGE_BOUNDS, criticalRatio, penaltyPricedCoverage } from '../../lib/optimizer/late-price.ts';
import { flatForecastAt, pool, quote, START_MS, workload } from './builders.ts';

// p4d: $32.00 on-demand, $9.60 spot (0.30), 8 GPUs: $4.00 and $1.20 per GPU-hour.
const p4d = pool('p4d.24xlarge');
// A cheaper pool whose GPUs are too small for the class: its prices must not count.
const small = pool('g5.xlarge', {
  gpuModel: 'A10G',
  gpusPerInstance: 1,
  gpuMemoryGiB: 24,
  interconnect: 'pcie',
});
const prices = [
  quote(p4d.id, 'on-demand', '32.00'),
  quote(p4d.id, 'spot', '9.60'),
  quote(small.id, 'on-demand', '1.00'),
  quote(small.id, 'spot', '0.30'),
];
const train = workload('train', { minGpuMemoryGiB: 80, spotShare: 0.6 });

describe('the newsvendor critical ratio', () => {
  it('covers more hours as lateness costs more than holding', () => {
    expect(criticalRatio(1, 4)).toBeCloseTo(0.75, 12);
    expect(criticalRatio(1, 10)).toBeGreaterThan(criticalRatio(1, 4));
  });

  it('stays within bounds a week of misses can tell apart', () => {
    expect(criticalRatio(5, 4)).toBe(COVERAGE_BOUNDS.min);
    expect(criticalRatio(0, 4)).toBe(COVERAGE_BOUNDS.max);
    expect(criticalRatio(1, 0)).toBe(COVERAGE_BOUNDS.min);
  });
});

describe('the coverage of a class, from its pools and the late penalty', () => {
  it('holds its margin as it may run it (spot share on spot) and fills late on on-demand plus the penalty', () => {
    // Held: 0.6 × $1.20 + 0.4 × $4.00 = $2.32; late at P = 1: $4.00 fill + $4.00 penalty = $8.00.
    const coverage = penaltyPricedCoverage(train, [p4d, small], prices, { latePenaltyMultiplier: 1 });
    expect(coverage).toBeCloseTo(1 - 2.32 / 8, 12);
  });

  it('rises with the penalty and with the share that must run on on-demand', () => {
    const at = (p: number, spotShare = 0.6) =>
      penaltyPricedCoverage(workload('w', { minGpuMemoryGiB: 80, spotShare }), [p4d], prices, {
        latePenaltyMultiplier: p,
      })!;
    expect(at(0)).toBeLessThan(at(1));
    expect(at(1)).toBeLessThan(at(3));
    expect(at(3)).toBeLessThan(at(10));
    expect(at(1, 0)).toBeLessThan(at(1, 0.6));
  });

  it('has nothing to price a class no on-demand pool can serve', () => {
    expect(
      penaltyPricedCoverage(train, [p4d], [quote(p4d.id, 'spot', '9.60')], { latePenaltyMultiplier: 1 }),
    ).toBeUndefined();
    const config = zDecisionConfig.parse({});
    expect(hourAheadCoverage(config, train, [p4d], [quote(p4d.id, 'spot', '9.60')])).toBe(
      COVERAGE_BOUNDS.max,
    );
  });

  it('takes a configured coverage as it is', () => {
    const config = zDecisionConfig.parse({ hourAhead: { coverage: 0.97 }, latePenaltyMultiplier: 10 });
    expect(hourAheadCoverage(config, train, [p4d], prices)).toBe(0.97);
  });
});

describe('the optimize decision prices its first hour by the penalty', () => {
  // A week of demand scattered over 1,000–1,400 GPUs, forecast at 1,200 every hour: misses of every size.
  const actual = Array.from({ length: 168 }, (_, i) => ({
    hourStartMs: START_MS - (168 - i) * HOUR_MS,
    gpus: 1200 + Math.round(200 * Math.sin(i * 2.3)),
  }));
  const forecastAt = (atMs: number) => flatForecastAt(train.id, atMs, { point: 1200, p90: 1300, p99: 1400 });
  const firstHour = async (latePenaltyMultiplier: number) => {
    const decision = await decide(
      {
        startMs: START_MS,
        pools: [p4d],
        prices,
        classes: [train],
        evidence: new Map([
          [
            train.id,
            {
              latest: forecastAt(START_MS),
              actual,
              pastForecasts: actual.map((a) => forecastAt(a.hourStartMs)),
            },
          ],
        ]),
        fleet: [],
      },
      { horizonHours: 24, latePenaltyMultiplier },
      { planId: 'p', createdAtMs: START_MS },
    );
    return decision.firstHour[0]!.plan;
  };

  it('holds more for the next hour when lateness costs more', async () => {
    const cheap = await firstHour(0);
    const dear = await firstHour(10);
    expect(dear).toBeGreaterThan(cheap);
  });
});
