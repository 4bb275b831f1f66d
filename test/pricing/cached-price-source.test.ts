// The price cache: a refresh stores live quotes with their as-of time; a read of old quotes warns clearly.
import { describe, expect, it } from 'vitest';
import { parseUsd } from '../../lib/domain/money.ts';
import type { PriceRepository } from '../../lib/domain/ports.ts';
import type { PriceQuote } from '../../lib/domain/price.ts';
import { HOUR_MS } from '../../lib/domain/time.ts';
import { manualClock } from '../../lib/memory/clock.ts';
import { createMemoryStore } from '../../lib/memory/store.ts';
import { createMemoryPriceSource } from '../../lib/memory/price-source.ts';
import {
  createCachedPriceSource,
  refreshPriceCache,
  type StalePriceWarning,
} from '../../lib/pricing/cached-price-source.ts';

/** The in-memory store's price repository: keyed by (pool, option, term), as DynamoDB keeps quotes. */
function memoryPrices(): PriceRepository {
  return createMemoryStore().prices;
}

const t0 = Date.parse('2026-06-01T00:00:00Z');
const quote = (poolId: string, asOf: string): PriceQuote => ({
  poolId,
  option: 'on-demand',
  usdPerHour: parseUsd('4.100000'),
  asOf,
  source: 'aws-pricing-api',
  modelled: false,
});

describe('the cached price source', () => {
  it('serves what the refresh stored, without a warning while fresh', async () => {
    const store = { prices: memoryPrices() };
    const clock = manualClock(t0);
    const live = createMemoryPriceSource([quote('aws:us-east-1:any:p5.48xlarge', '2026-06-01T00:00:00Z')]);
    expect(await refreshPriceCache(store, live)).toEqual({ stored: 1 });
    const cached = createCachedPriceSource({ store, clock, config: { maxAgeHours: 6 } });
    expect(await cached.quotes()).toHaveLength(1);
    expect(cached.lastWarning()).toBeUndefined();
  });

  it('warns once prices outlive the configured age, naming how many and how old', async () => {
    const store = { prices: memoryPrices() };
    await store.prices.put([
      quote('aws:us-east-1:any:p5.48xlarge', '2026-06-01T00:00:00Z'),
      quote('aws:us-east-1:any:g5.xlarge', '2026-06-01T05:00:00Z'),
    ]);
    const clock = manualClock(t0 + 8 * HOUR_MS);
    const seen: StalePriceWarning[] = [];
    const cached = createCachedPriceSource({
      store,
      clock,
      config: { maxAgeHours: 6 },
      onStale: (w) => seen.push(w),
    });
    expect(await cached.quotes()).toHaveLength(2);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ staleQuotes: 1, totalQuotes: 2, oldestAsOf: '2026-06-01T00:00:00Z' });
    expect(seen[0]!.message).toBe(
      'stale prices: 1 of 2 quotes are older than 6 h (oldest as of 2026-06-01T00:00:00Z, 8 h ago); the price refresh has not run, plans use old prices',
    );
    // Only the asked-for pool counts towards the warning.
    await cached.quotes({ poolIds: ['aws:us-east-1:any:g5.xlarge'] });
    expect(cached.lastWarning()).toBeUndefined();
  });

  it('refuses a nonsense maximum age, naming the field', () => {
    expect(() =>
      createCachedPriceSource({
        store: { prices: memoryPrices() },
        clock: manualClock(t0),
        config: { maxAgeHours: -1 },
      }),
    ).toThrow(/maxAgeHours/);
  });
});
