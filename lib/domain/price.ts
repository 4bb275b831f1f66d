// Price quotes: what one instance of a pool costs per hour under one purchase option, and where that came from.
import { z } from 'zod';
import { zId, zMicroUsd, zTimestamp } from './fields.ts';
import type { PriceQuery } from './ports.ts';
import { poolOptionKey, zPurchaseOption } from './pool.ts';

export const PRICE_SOURCES = [
  'aws-pricing-api',
  'aws-spot-history',
  'catalog',
  'configured',
  'bill',
  'sim',
] as const;

export const zPriceQuote = z.object({
  poolId: zId,
  option: zPurchaseOption,
  /** Per instance-hour (all its GPUs), micro-dollars. On-prem: the configured cost of owning and running it. */
  usdPerHour: zMicroUsd,
  asOf: zTimestamp,
  source: z.enum(PRICE_SOURCES),
  /** True when the figure is derived by a stated rule rather than read from a price list. */
  modelled: z.boolean().default(false),
  /** Reserved / committed term; absent for on-demand and spot. */
  termYears: z.union([z.literal(1), z.literal(3)]).optional(),
  /** Expected spot interruptions per instance-hour. */
  spotInterruptionRatePerHour: z.number().min(0).max(1).optional(),
});
export type PriceQuote = z.infer<typeof zPriceQuote>;
export type PriceQuoteWire = z.input<typeof zPriceQuote>;

/** Price key: the one quote a plan uses for a pool and option (the pool × option key). */
export const priceKey = poolOptionKey;

/** The key of one stored quote: pool × option × reserved term; a newer quote under it replaces the older. */
export function quoteKey(quote: Pick<PriceQuote, 'poolId' | 'option' | 'termYears'>): string {
  return `${quote.poolId}#${quote.option}#${quote.termYears ?? '-'}`;
}

/** The quotes a price query asks for (all when the query is empty). */
export function filterQuotes(quotes: readonly PriceQuote[], query: PriceQuery = {}): PriceQuote[] {
  return quotes.filter(
    (q) =>
      (!query.poolIds || query.poolIds.includes(q.poolId)) &&
      (!query.options || query.options.includes(q.option)),
  );
}
