// Quotes kept in the store with their as-of time: refreshed by a scheduled run, read with a clear warning when stale.
import { z } from 'zod';
import type { Clock, PriceQuery, PriceSource, Store } from '../domain/ports.ts';
import { filterQuotes, type PriceQuote } from '../domain/price.ts';
import { HOUR_MS, parseRfc3339, toRfc3339 } from '../domain/time.ts';
import { parseOrThrow } from '../domain/validation.ts';

export const zPriceCacheConfig = z.object({
  /** Quotes older than this are stale: spot prices move daily, list prices monthly. */
  maxAgeHours: z
    .number()
    .positive()
    .max(24 * 365)
    .default(24),
});
export type PriceCacheConfig = z.output<typeof zPriceCacheConfig>;

export interface StalePriceWarning {
  staleQuotes: number;
  totalQuotes: number;
  oldestAsOf: string;
  maxAgeHours: number;
  message: string;
}

/** A warning when any quote is older than the allowed age, or undefined when all are fresh. */
export function stalePriceWarning(
  quotes: readonly PriceQuote[],
  nowMs: number,
  maxAgeHours: number,
): StalePriceWarning | undefined {
  const limitMs = nowMs - maxAgeHours * HOUR_MS;
  let oldestMs = Number.POSITIVE_INFINITY;
  let stale = 0;
  for (const q of quotes) {
    const ms = parseRfc3339(q.asOf);
    if (ms < limitMs) stale += 1;
    oldestMs = Math.min(oldestMs, ms);
  }
  if (stale === 0) return undefined;
  const oldestAsOf = toRfc3339(oldestMs);
  const ageHours = Math.floor((nowMs - oldestMs) / HOUR_MS);
  return {
    staleQuotes: stale,
    totalQuotes: quotes.length,
    oldestAsOf,
    maxAgeHours,
    message:
      `stale prices: ${stale} of ${quotes.length} quotes are older than ${maxAgeHours} h ` +
      `(oldest as of ${oldestAsOf}, ${ageHours} h ago); the price refresh has not run, plans use old prices`,
  };
}

export interface CachedPriceSourceOptions {
  store: Pick<Store, 'prices'>;
  clock: Clock;
  config?: z.input<typeof zPriceCacheConfig>;
  /** Told once per read that finds stale quotes (a log line, a Run Failed event, the CLI's stderr). */
  onStale?: (warning: StalePriceWarning) => void;
}

export interface CachedPriceSource extends PriceSource {
  /** The warning of the last read, if its quotes were stale. */
  lastWarning(): StalePriceWarning | undefined;
}

/** Reads the quotes the refresh run stored; warns when they are older than the configured age. */
export function createCachedPriceSource(options: CachedPriceSourceOptions): CachedPriceSource {
  const config = parseOrThrow(zPriceCacheConfig, options.config ?? {}, 'price cache configuration');
  let last: StalePriceWarning | undefined;
  return {
    async quotes(query?: PriceQuery) {
      const quotes = filterQuotes(await options.store.prices.all(), query);
      last = stalePriceWarning(quotes, options.clock.now(), config.maxAgeHours);
      if (last) options.onStale?.(last);
      return quotes;
    },
    lastWarning: () => last,
  };
}

/** The scheduled refresh: reads a live source and stores what it returned, with its as-of times. */
export async function refreshPriceCache(
  store: Pick<Store, 'prices'>,
  live: PriceSource,
  query?: PriceQuery,
): Promise<{ stored: number }> {
  const quotes = await live.quotes(query);
  await store.prices.put(quotes);
  return { stored: quotes.length };
}
