// The refresh-prices run (daily): list, reserved and spot prices of the configured AWS pools into the table; the bundled catalog, marked with its age, where an API fails.
import { z } from 'zod';
import { makeEvent } from '../domain/events.ts';
import type { Pool, PurchaseOption } from '../domain/pool.ts';
import type { Clock, EventSink, Store } from '../domain/ports.ts';
import { quoteKey, type PriceQuote } from '../domain/price.ts';
import { DAY_MS, HOUR_MS, parseRfc3339, toRfc3339 } from '../domain/time.ts';
import { parseOrThrow } from '../domain/validation.ts';
import { fetchAwsGpuDetails, type InstanceTypesApi } from '../pricing/aws-instance-types.ts';
import { awsPriceQuotes, fetchAwsGpuPrices, type PricingApi } from '../pricing/aws-pricing.ts';
import { awsSpotQuotes, fetchLatestSpotPrices, type SpotHistoryApi } from '../pricing/aws-spot.ts';
import {
  stalePriceWarning,
  zPriceCacheConfig,
  type StalePriceWarning,
} from '../pricing/cached-price-source.ts';
import { loadCatalog, offeringQuotes, REGION_WIDE_ZONE, type Catalog } from '../pricing/catalog.ts';

export const zRefreshPricesConfig = z.object({
  /** The region whose AWS pools are priced (the stack's region). */
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'expected an AWS region, like eu-west-1'),
  /** How far back spot history is read: the latest price change of a quiet market may be days old. */
  spotLookbackHours: z
    .number()
    .int()
    .min(1)
    .max(24 * 90)
    .default(24 * 7),
  /** Quotes older than this are reported stale after the refresh (the catalog's snapshot always is). */
  maxAgeHours: zPriceCacheConfig.shape.maxAgeHours,
});
export type RefreshPricesConfig = z.output<typeof zRefreshPricesConfig>;
export type RefreshPricesConfigInput = z.input<typeof zRefreshPricesConfig>;

export interface RefreshPricesPorts {
  store: Pick<Store, 'pools' | 'prices'>;
  /** A PricingClient (the Pricing API answers in us-east-1 and a few other regions). */
  pricing: PricingApi;
  /** An EC2Client of the pools' region. */
  ec2: SpotHistoryApi & InstanceTypesApi;
  events: EventSink;
  clock: Clock;
  /** The bundled catalog: spot risk per GPU model, and the fallback prices; loaded at the first need. */
  catalog?: () => Catalog;
  log?: (entry: Record<string, unknown>) => void;
}

/** The three AWS sources a refresh reads; each fails alone. */
export const PRICE_REFRESH_SOURCES = ['pricing-api', 'spot-history', 'instance-types'] as const;
export type PriceRefreshSource = (typeof PRICE_REFRESH_SOURCES)[number];

export interface CatalogFallback {
  /** Quotes written from the catalog because their live source failed or did not list the pool. */
  quotes: number;
  poolIds: string[];
  /** The catalog snapshot's date: the quotes carry it as their as-of, so every reader sees their age. */
  catalogAsOf: string;
  ageDays: number;
  message: string;
}

export interface RefreshPricesResult {
  refreshedAt: string;
  /** Configured AWS pools of the region that were priced. */
  pools: string[];
  /** Configured pools of other providers or regions: their prices come from their own connectors. */
  skippedPools: string[];
  /** Quotes written, by source. */
  stored: Partial<Record<PriceQuote['source'], number>>;
  failures: { source: PriceRefreshSource | 'catalog'; error: string }[];
  fallback?: CatalogFallback;
  /** Pools with neither an on-demand nor a spot quote after the refresh: optimize cannot plan them. */
  unpriced: string[];
  /** Where DescribeInstanceTypes disagrees with a configured pool (GPU count or memory). */
  poolMismatches: string[];
  /** The stored quotes of the priced pools older than maxAgeHours after this refresh, if any. */
  stale?: StalePriceWarning;
  eventFailures: string[];
}

/** Which options each source prices: a failed source falls back for its own options only. */
const OPTIONS_OF: Record<'pricing-api' | 'spot-history', readonly PurchaseOption[]> = {
  'pricing-api': ['on-demand', 'reserved'],
  'spot-history': ['spot'],
};

/** The pool's GPUs as EC2 describes its instance type, against what the config says. */
function mismatches(
  pools: readonly Pool[],
  details: readonly { instanceType: string; gpuCount: number; gpuMemoryGiB: number }[],
): string[] {
  const byType = new Map(details.map((d) => [d.instanceType, d]));
  const out: string[] = [];
  for (const pool of pools) {
    const d = byType.get(pool.instanceType);
    if (!d) {
      out.push(`${pool.id}: EC2 lists no GPU instance type ${pool.instanceType} in this region`);
      continue;
    }
    if (d.gpuCount !== pool.gpusPerInstance)
      out.push(`${pool.id}: gpusPerInstance ${pool.gpusPerInstance}, EC2 says ${d.gpuCount}`);
    // EC2 gives MiB; a GiB off either way is rounding, more is a different GPU.
    if (d.gpuMemoryGiB > 0 && Math.abs(d.gpuMemoryGiB - pool.gpuMemoryGiB) > 1)
      out.push(`${pool.id}: gpuMemoryGiB ${pool.gpuMemoryGiB}, EC2 says ${d.gpuMemoryGiB}`);
  }
  return out;
}

/**
 * Prices every configured AWS pool of the region: on-demand and reserved (1- and 3-year) from the Pricing API,
 * the latest spot price of the pool's zone from the spot price history, checked against DescribeInstanceTypes.
 * A source that fails leaves its options to the stored quote when it is newer than the bundled catalog, else to
 * the catalog, whose quotes keep the catalog's date as their as-of: the fallback is marked and its age shows in
 * every staleness warning. Each failure is reported in the result, the log and a `Run Failed` event.
 */
export async function refreshPrices(
  ports: RefreshPricesPorts,
  configInput: RefreshPricesConfigInput,
): Promise<RefreshPricesResult> {
  const config = parseOrThrow(zRefreshPricesConfig, configInput, 'refresh-prices configuration');
  const log = ports.log ?? (() => {});
  const nowMs = ports.clock.now();
  const configured = await ports.store.pools.list();
  const pools = configured.filter((p) => p.provider === 'aws' && p.region === config.region);
  const result: RefreshPricesResult = {
    refreshedAt: toRfc3339(nowMs),
    pools: pools.map((p) => p.id),
    skippedPools: configured.filter((p) => !pools.includes(p)).map((p) => p.id),
    stored: {},
    failures: [],
    unpriced: [],
    poolMismatches: [],
    eventFailures: [],
  };
  if (pools.length === 0) {
    log({ run: 'refresh-prices', warning: `no AWS pools of ${config.region} in the table`, ...result });
    return result;
  }

  let catalog: Catalog | undefined;
  const catalogOnce = (): Catalog | undefined => {
    if (catalog) return catalog;
    try {
      catalog = (ports.catalog ?? loadCatalog)();
    } catch (error) {
      result.failures.push({ source: 'catalog', error: (error as Error).message });
    }
    return catalog;
  };
  const failed = new Set<PriceRefreshSource>();
  const fail = (source: PriceRefreshSource, error: unknown) => {
    failed.add(source);
    result.failures.push({ source, error: error instanceof Error ? error.message : String(error) });
  };

  const types = [...new Set(pools.map((p) => p.instanceType))].sort();
  const zones = [...new Set(pools.map((p) => p.zone))].filter((z) => z !== REGION_WIDE_ZONE).sort();
  const [list, details, spot] = await Promise.all([
    fetchAwsGpuPrices(ports.pricing, { region: config.region }).catch((e: unknown) => fail('pricing-api', e)),
    fetchAwsGpuDetails(ports.ec2).catch((e: unknown) => fail('instance-types', e)),
    zones.length === 0
      ? undefined
      : fetchLatestSpotPrices(ports.ec2, {
          instanceTypes: types,
          availabilityZones: zones,
          sinceMs: nowMs - config.spotLookbackHours * HOUR_MS,
        }).catch((e: unknown) => fail('spot-history', e)),
  ]);
  if (details) result.poolMismatches = mismatches(pools, details);

  // Region-wide list prices and per-zone spot prices, written under each configured pool's own id.
  const listByType = new Map((list?.prices ?? []).map((p) => [p.instanceType, p]));
  const spotByZoneType = new Map(
    (spot?.points ?? []).map((p) => [`${p.availabilityZone}|${p.instanceType}`, p]),
  );
  const live: PriceQuote[] = [];
  for (const pool of pools) {
    const listPrice = listByType.get(pool.instanceType);
    if (listPrice) live.push(...awsPriceQuotes([listPrice], nowMs).map((q) => ({ ...q, poolId: pool.id })));
    const point = spotByZoneType.get(`${pool.zone}|${pool.instanceType}`);
    if (point) {
      const rate = catalogOnce()?.spotRiskFor({
        provider: 'aws',
        gpuModel: pool.gpuModel,
      })?.interruptionsPerHour;
      live.push(...awsSpotQuotes([point], nowMs, () => rate).map((q) => ({ ...q, poolId: pool.id })));
    }
  }

  // Fallback: only for the options of a source that failed, and for on-demand where the list had no price.
  const liveKeys = new Set(live.map(quoteKey));
  const stored = new Map((await ports.store.prices.all()).map((q) => [quoteKey(q), q]));
  const fallback: PriceQuote[] = [];
  const needsFallback = (pool: Pool, q: PriceQuote) =>
    !liveKeys.has(quoteKey(q)) &&
    ((failed.has('pricing-api') && OPTIONS_OF['pricing-api'].includes(q.option)) ||
      (failed.has('spot-history') && OPTIONS_OF['spot-history'].includes(q.option)) ||
      (q.option === 'on-demand' && !listByType.has(pool.instanceType)));
  let catalogAsOf: string | undefined;
  for (const pool of pools) {
    const offering = catalogOnce()?.offerings.find(
      (o) => o.provider === 'aws' && o.region === pool.region && o.instanceType === pool.instanceType,
    );
    if (!offering) continue;
    const risk = catalog?.spotRiskFor(offering);
    for (const q of offeringQuotes(offering, pool.id, offering.asOf, risk)) {
      if (!needsFallback(pool, q)) continue;
      const kept = stored.get(quoteKey(q));
      // A live quote of an earlier refresh is newer than the catalog's snapshot: keep it, it ages visibly too.
      if (kept && kept.source !== 'catalog' && parseRfc3339(kept.asOf) > parseRfc3339(q.asOf)) continue;
      fallback.push(q);
      if (!catalogAsOf || q.asOf < catalogAsOf) catalogAsOf = q.asOf;
    }
  }

  const quotes = [...live, ...fallback];
  await ports.store.prices.put(quotes);
  for (const q of quotes) result.stored[q.source] = (result.stored[q.source] ?? 0) + 1;

  if (fallback.length > 0 && catalogAsOf) {
    const ageDays = Math.floor((nowMs - parseRfc3339(catalogAsOf)) / DAY_MS);
    const poolIds = [...new Set(fallback.map((q) => q.poolId))].sort();
    result.fallback = {
      quotes: fallback.length,
      poolIds,
      catalogAsOf,
      ageDays,
      message:
        `${fallback.length} quotes of ${poolIds.length} pools from the bundled catalog as of ${catalogAsOf} ` +
        `(${ageDays} days old): the live source failed or did not list them`,
    };
  }

  const after = (await ports.store.prices.all()).filter((q) => result.pools.includes(q.poolId));
  result.unpriced = pools
    .filter((p) => !after.some((q) => q.poolId === p.id && (q.option === 'on-demand' || q.option === 'spot')))
    .map((p) => p.id);
  result.stale = stalePriceWarning(after, nowMs, config.maxAgeHours);

  const problems = [
    ...result.failures.map((f) => ({
      part: f.source,
      error: `${f.error}${result.fallback ? `; ${result.fallback.message}` : ''}`,
    })),
    ...(result.unpriced.length > 0
      ? [{ part: 'unpriced', error: `no on-demand or spot price for ${result.unpriced.join(', ')}` }]
      : []),
  ];
  if (problems.length > 0) {
    const outcome = await ports.events.put(
      problems.map((p) =>
        makeEvent('Run Failed', {
          schemaVersion: '1',
          run: 'refresh-prices',
          part: p.part,
          at: result.refreshedAt,
          error: p.error,
        }),
      ),
    );
    result.eventFailures = outcome.failed.map((f) => f.error);
  }
  log({
    level: problems.length > 0 ? 'warn' : 'info',
    run: 'refresh-prices',
    pools: result.pools.length,
    stored: result.stored,
    failures: result.failures,
    fallback: result.fallback?.message,
    unpriced: result.unpriced,
    poolMismatches: result.poolMismatches,
    stale: result.stale?.message,
  });
  return result;
}
