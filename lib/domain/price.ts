// Price quotes: what one instance of a pool costs per hour under one purchase option, and where that came from.
import { z } from 'zod';
import { zId, zMicroUsd, zTimestamp } from './fields.ts';
import { zPurchaseOption } from './pool.ts';

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

/** Price key: the one quote a plan uses for a pool and option. */
export function priceKey(poolId: string, option: string): string {
  return `${poolId}|${option}`;
}
