// An in-memory PriceSource over a fixed list of quotes.
import type { PriceSource } from '../domain/ports.ts';
import { filterQuotes, type PriceQuote } from '../domain/price.ts';

export interface MemoryPriceSource extends PriceSource {
  set(quotes: readonly PriceQuote[]): void;
}

export function createMemoryPriceSource(initial: readonly PriceQuote[] = []): MemoryPriceSource {
  let quotes = [...initial];
  return {
    async quotes(query) {
      return filterQuotes(quotes, query).map((q) => ({ ...q }));
    },
    set(next) {
      quotes = [...next];
    },
  };
}
