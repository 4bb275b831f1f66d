import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  costForSeconds,
  divRoundHalfEven,
  formatUsd,
  formatUsdForDisplay,
  MoneyFormatError,
  parseUsd,
  parseUsdRounded,
  splitLargestRemainder,
  usdFromNumber,
} from '../../lib/domain/money.ts';

describe('money encoding', () => {
  it('parses and formats 6-place decimals exactly', () => {
    expect(parseUsd('12.5')).toBe(12_500_000n);
    expect(parseUsd('-0.000001')).toBe(-1n);
    expect(parseUsd('98.32')).toBe(98_320_000n);
    expect(formatUsd(98_320_000n)).toBe('98.320000');
    expect(formatUsd(-1n)).toBe('-0.000001');
    expect(formatUsd(0n)).toBe('0.000000');
  });

  it('refuses what is not money, naming the input', () => {
    for (const bad of ['', 'abc', '1.2345678', '1e3', '$5', '1,000.00']) {
      expect(() => parseUsd(bad)).toThrow(MoneyFormatError);
    }
    expect(() => parseUsd('1.2345678')).toThrow(/"1\.2345678"/);
  });

  it('round-trips every amount through its wire form', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), (micros) => {
        expect(parseUsd(formatUsd(micros))).toBe(micros);
      }),
    );
  });

  it('rounds bill and price-list decimals half to even', () => {
    expect(parseUsdRounded('0.0000005')).toBe(0n);
    expect(parseUsdRounded('0.0000015')).toBe(2n);
    expect(parseUsdRounded('0.00000251')).toBe(3n);
    expect(parseUsdRounded('1.2E-4')).toBe(120n);
    expect(parseUsdRounded('-3.0000005')).toBe(-3_000_000n);
    expect(parseUsdRounded('32.7726000000')).toBe(32_772_600n);
    expect(() => parseUsdRounded('.')).toThrow(MoneyFormatError);
    expect(usdFromNumber(3.06)).toBe(3_060_000n);
  });

  it('formats for people with thousands and cents', () => {
    expect(formatUsdForDisplay(1_234_567_890n)).toBe('$1,234.57');
    expect(formatUsdForDisplay(-5_000n)).toBe('$0.00');
    expect(formatUsdForDisplay(-15_000n)).toBe('-$0.02');
  });
});

describe('cost for a duration', () => {
  it('computes quantity × price once, rounded to the micro-dollar', () => {
    // $32.7726/h for 10 minutes = $5.4621
    expect(costForSeconds(32_772_600n, 600)).toBe(5_462_100n);
    expect(costForSeconds(1n, 1800)).toBe(0n); // 0.5 rounds to even
    expect(costForSeconds(3n, 1800)).toBe(2n); // 1.5 rounds to even
    expect(divRoundHalfEven(-7n, 2n)).toBe(-4n);
  });
});

describe('largest-remainder split', () => {
  it('gives each part its share and the leftover micro-dollars to the largest remainders', () => {
    expect(splitLargestRemainder(100n, [1, 1, 1])).toEqual([34n, 33n, 33n]);
    expect(splitLargestRemainder(10n, [3, 1])).toEqual([8n, 2n]);
    expect(splitLargestRemainder(-100n, [1, 1, 1])).toEqual([-34n, -33n, -33n]);
    expect(splitLargestRemainder(7n, [0, 0])).toEqual([4n, 3n]);
    expect(splitLargestRemainder(5n, [0, 2])).toEqual([0n, 5n]);
  });

  it('always sums to the whole, for random amounts and weights', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }),
        fc.array(fc.oneof(fc.double({ min: 0, max: 1e6, noNaN: true }), fc.integer({ min: 0, max: 3600 })), {
          minLength: 1,
          maxLength: 40,
        }),
        (total, weights) => {
          const parts = splitLargestRemainder(total, weights);
          expect(parts.reduce((a, b) => a + b, 0n)).toBe(total);
          expect(parts).toHaveLength(weights.length);
        },
      ),
    );
  });

  it('never gives a part more than one micro-dollar away from its exact share', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 10n }),
        fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 1, maxLength: 20 }),
        (total, weights) => {
          const sum = weights.reduce((a, b) => a + b, 0);
          splitLargestRemainder(total, weights).forEach((part, i) => {
            const exact = (Number(total) * weights[i]!) / sum;
            expect(Math.abs(Number(part) - exact)).toBeLessThanOrEqual(1.000001);
          });
        },
      ),
    );
  });

  it('refuses negative weights and splitting money over nobody', () => {
    expect(() => splitLargestRemainder(1n, [-1])).toThrow(/weight 0/);
    expect(() => splitLargestRemainder(1n, [])).toThrow();
    expect(splitLargestRemainder(0n, [])).toEqual([]);
  });
});
