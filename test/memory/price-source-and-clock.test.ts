import { describe, expect, it } from 'vitest';
import { createMemoryPriceSource } from '../../lib/memory/price-source.ts';
import { fixedClock, manualClock, systemClock } from '../../lib/memory/clock.ts';
import { createCatalogPriceSource } from '../../lib/pricing/catalog.ts';
import { describePriceSourceContract } from '../contracts/price-source-contract.ts';

const quotes = [
  {
    poolId: 'aws:us-east-1:us-east-1a:g5.xlarge',
    option: 'on-demand' as const,
    usdPerHour: 1_006_000n,
    asOf: '2026-01-21T00:00:00Z',
    source: 'configured' as const,
    modelled: false,
  },
  {
    poolId: 'aws:us-east-1:us-east-1a:g5.xlarge',
    option: 'spot' as const,
    usdPerHour: 301_800n,
    asOf: '2026-01-21T00:00:00Z',
    source: 'configured' as const,
    modelled: true,
    spotInterruptionRatePerHour: 0.05,
  },
  {
    poolId: 'aws:us-east-1:us-east-1b:g5.xlarge',
    option: 'on-demand' as const,
    usdPerHour: 1_006_000n,
    asOf: '2026-01-21T00:00:00Z',
    source: 'configured' as const,
    modelled: false,
  },
];

describePriceSourceContract('in-memory', async () => createMemoryPriceSource(quotes));
describePriceSourceContract('bundled catalog', async () => createCatalogPriceSource());

describe('in-memory price source', () => {
  it('hands out copies, so a caller cannot change the prices others see', async () => {
    const source = createMemoryPriceSource(quotes);
    const [first] = await source.quotes();
    first!.usdPerHour = 0n;
    expect((await source.quotes())[0]!.usdPerHour).toBe(1_006_000n);
  });
});

describe('clocks', () => {
  it('a manual clock moves only forward, by hand', () => {
    const clock = manualClock(1_000);
    clock.advance(500);
    expect(clock.now()).toBe(1_500);
    clock.set(2_000);
    expect(clock.now()).toBe(2_000);
    expect(() => clock.advance(-1)).toThrow(RangeError);
    expect(() => clock.set(1_999)).toThrow(RangeError);
  });

  it('a fixed clock stands still and the system clock follows the machine', () => {
    expect(fixedClock(42).now()).toBe(42);
    const before = Date.now();
    const now = systemClock.now();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now - before).toBeLessThan(1_000);
  });
});
