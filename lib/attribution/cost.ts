// The effective cost of one node for part of an hour: the price it is bought at, and the list price it would cost on demand.
import type { FleetNode } from '../domain/fleet.ts';
import { costForSeconds, type MicroUsd } from '../domain/money.ts';
import type { PurchaseOption } from '../domain/pool.ts';
import { priceKey, type PriceQuote } from '../domain/price.ts';
import type { AttributionOptions } from './options.ts';

export type PricingCategory = 'Standard' | 'Dynamic' | 'Committed' | 'Other';

export const PRICING_CATEGORY: Record<PurchaseOption, PricingCategory> = {
  'on-demand': 'Standard',
  spot: 'Dynamic',
  reserved: 'Committed',
  'on-prem': 'Other',
};

/** The hourly rates one node is charged at. */
export interface NodeRate {
  /** What this node costs per hour as bought: on-demand price, spot price paid, amortized commitment, on-prem rate. */
  effectiveUsdPerHour: MicroUsd;
  /** The on-demand price of the same pool, where known; else the effective rate. */
  listUsdPerHour: MicroUsd;
  skuPriceId: string;
}

export type PriceBook = ReadonlyMap<string, PriceQuote>;

/** Indexes quotes by pool and option; the latest quote of a key wins. */
export function priceBook(quotes: readonly PriceQuote[]): PriceBook {
  const book = new Map<string, PriceQuote>();
  for (const q of quotes) {
    const key = priceKey(q.poolId, q.option);
    const have = book.get(key);
    if (!have || have.asOf <= q.asOf) book.set(key, q);
  }
  return book;
}

/** The rate of a node, or undefined when no price is known for its pool and purchase option. */
export function nodeRate(
  node: Pick<FleetNode, 'poolId' | 'purchaseOption' | 'gpuCount'>,
  book: PriceBook,
  options: Pick<AttributionOptions, 'onPremUsdPerGpuHour'>,
): NodeRate | undefined {
  const skuPriceId = priceKey(node.poolId, node.purchaseOption);
  const listQuote = book.get(priceKey(node.poolId, 'on-demand'));
  let effective = book.get(skuPriceId)?.usdPerHour;
  if (node.purchaseOption === 'on-prem') {
    const perGpu = options.onPremUsdPerGpuHour.byPool[node.poolId] ?? options.onPremUsdPerGpuHour.default;
    if (perGpu !== undefined) effective = perGpu * BigInt(node.gpuCount);
  }
  if (effective === undefined) return undefined;
  return { effectiveUsdPerHour: effective, listUsdPerHour: listQuote?.usdPerHour ?? effective, skuPriceId };
}

export interface Charge {
  effectiveUsd: MicroUsd;
  listUsd: MicroUsd;
}

/** The charge of running at a rate for some seconds; computed once per node-hour, then split. */
export function chargeFor(rate: NodeRate, seconds: number): Charge {
  return {
    effectiveUsd: costForSeconds(rate.effectiveUsdPerHour, seconds),
    listUsd: costForSeconds(rate.listUsdPerHour, seconds),
  };
}
