import { describe, expect, it } from 'vitest';
import { parseUsd } from '../../lib/domain/money.ts';
import {
  adviseCommitment,
  costAtLevel,
  usageQuantile,
  type CommitmentOffer,
} from '../../lib/optimizer/commitments.ts';

// A small deterministic generator, so the i.i.d. sample is the same on every run.
function mulberry32(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const onDemand = parseUsd('32.00');
const offer = (
  usd: string,
  kind: CommitmentOffer['kind'] = 'reserved-instances',
  termYears: 1 | 3 = 1,
): CommitmentOffer => ({
  kind,
  termYears,
  usdPerHour: parseUsd(usd),
  source: 'configured',
});

describe('adviseCommitment', () => {
  const random = mulberry32(7);
  // 60 days of i.i.d. hourly usage between 10 and 50 instances.
  const usage = Array.from({ length: 60 * 24 }, () => 10 + Math.floor(random() * 41));

  it('commits at the usage quantile 1 − committed/on-demand price, as the closed form says', () => {
    for (const rate of ['12.80', '19.20', '25.60']) {
      const report = adviseCommitment({
        family: 'A100',
        usageHourly: usage,
        onDemandUsdPerHour: onDemand,
        offers: [offer(rate)],
      });
      const advice = report.candidates[0]!;
      const closedForm = usageQuantile(usage, 1 - Number(parseUsd(rate)) / Number(onDemand));
      // Ties in the empirical distribution make a flat stretch of equal cost; the closed form lies on it.
      expect(costAtLevel(usage, closedForm, parseUsd(rate), onDemand)).toBe(advice.costUsd);
      expect(Math.abs(advice.committedInstances - closedForm)).toBeLessThanOrEqual(1);
      expect(advice.breakEvenUtilization).toBeCloseTo(Number(parseUsd(rate)) / Number(onDemand));
    }
  });

  it('beats committing at the minimum usage and all on-demand', () => {
    const rate = parseUsd('19.20');
    const report = adviseCommitment({
      family: 'A100',
      usageHourly: usage,
      onDemandUsdPerHour: onDemand,
      offers: [offer('19.20')],
    });
    const best = report.best!;
    const atMinimum = costAtLevel(usage, Math.min(...usage), rate, onDemand);
    expect(best.costUsd).toBeLessThan(atMinimum);
    expect(best.savingUsd).toBe(best.onDemandCostUsd - best.costUsd);
    expect(best.savingUsd).toBeGreaterThan(0n);
    expect(best.coverage).toBeGreaterThan(0.5);
    expect(best.utilization).toBeGreaterThan(best.breakEvenUtilization);
  });

  it('picks the cheaper of several offers and leaves out ones dearer than on-demand', () => {
    const report = adviseCommitment({
      family: 'A100',
      usageHourly: usage,
      onDemandUsdPerHour: onDemand,
      offers: [
        offer('22.00'),
        offer('14.00', 'reserved-instances', 3),
        offer('20.00', 'savings-plan'),
        offer('40.00'),
      ],
    });
    expect(report.candidates).toHaveLength(3);
    expect(report.best!.offer.termYears).toBe(3);
  });

  it('refuses less than 30 days of history, naming the field', () => {
    expect(() =>
      adviseCommitment({
        family: 'A100',
        usageHourly: usage.slice(0, 100),
        onDemandUsdPerHour: onDemand,
        offers: [offer('19.20')],
      }),
    ).toThrow(/usageHourly.*30 days/);
  });
});
