// The behaviour every PriceSource promises: valid quotes, filtered by pool and option exactly as asked.
import { describe, expect, it } from 'vitest';
import type { PriceSource } from '../../lib/domain/ports.ts';
import { zPriceQuote } from '../../lib/domain/price.ts';
import { z } from 'zod';

export function describePriceSourceContract(name: string, make: () => Promise<PriceSource>) {
  describe(`PriceSource contract: ${name}`, () => {
    it('returns quotes that satisfy the domain schema, money as bigint micro-dollars', async () => {
      const quotes = await (await make()).quotes();
      expect(quotes.length).toBeGreaterThan(0);
      for (const q of quotes) {
        expect(typeof q.usdPerHour).toBe('bigint');
        expect(q.usdPerHour).toBeGreaterThanOrEqual(0n);
        expect(
          z.safeDecode(zPriceQuote, z.encode(zPriceQuote, q)).success,
          JSON.stringify(q, (_, v) => (typeof v === 'bigint' ? String(v) : v)),
        ).toBe(true);
      }
    });

    it('filters by pool and by option, and answers an unknown pool with nothing', async () => {
      const source = await make();
      const all = await source.quotes();
      const poolId = all[0]!.poolId;
      const byPool = await source.quotes({ poolIds: [poolId] });
      expect(byPool.length).toBeGreaterThan(0);
      expect(byPool.every((q) => q.poolId === poolId)).toBe(true);
      expect(byPool).toEqual(all.filter((q) => q.poolId === poolId));
      const spot = await source.quotes({ options: ['spot'] });
      expect(spot.every((q) => q.option === 'spot')).toBe(true);
      expect(await source.quotes({ poolIds: ['no:such:pool:here'] })).toEqual([]);
    });
  });
}
