// AWS list prices of GPU and accelerator instances: GetProducts pages (or a bulk offer file) → on-demand and reserved quotes.
import { GetProductsCommand, type GetProductsCommandOutput } from '@aws-sdk/client-pricing';
import { z } from 'zod';
import { parseUsdRounded, type MicroUsd } from '../domain/money.ts';
import { poolId } from '../domain/pool.ts';
import type { PriceQuote } from '../domain/price.ts';
import { toRfc3339 } from '../domain/time.ts';
import { REGION_WIDE_ZONE } from './catalog.ts';
import { regionForLocation } from './aws-regions.ts';

/** The one call of the Pricing API used here; a PricingClient satisfies it (and aws-sdk-client-mock mocks it). */
export interface PricingApi {
  send(command: GetProductsCommand): Promise<GetProductsCommandOutput>;
}

/** Instance families the Pricing API files GPU and accelerator instances under. */
export const AWS_ACCELERATOR_FAMILIES = ['GPU instance', 'Machine Learning ASIC Instances'] as const;

const HOURS_PER_YEAR = 8760;

const zPriceDimension = z.object({
  unit: z.string(),
  pricePerUnit: z.record(z.string(), z.string()),
  description: z.string().optional(),
});
const zTerm = z.object({
  priceDimensions: z.record(z.string(), zPriceDimension),
  termAttributes: z.record(z.string(), z.string()).optional(),
  effectiveDate: z.string().optional(),
});
const zProduct = z.object({
  sku: z.string().optional(),
  productFamily: z.string().optional(),
  attributes: z.record(z.string(), z.string()),
});
/** One item of GetProducts' PriceList (each is a JSON document in a string). */
const zPriceListItem = z.object({
  product: zProduct,
  terms: z.object({
    OnDemand: z.record(z.string(), zTerm).optional(),
    Reserved: z.record(z.string(), zTerm).optional(),
  }),
  publicationDate: z.string().optional(),
});
export type PriceListItem = z.infer<typeof zPriceListItem>;

export interface ReservedRate {
  termYears: 1 | 3;
  offeringClass: string;
  purchaseOption: string;
  /** Hourly rate plus the upfront fee spread over the term's hours. */
  effectiveUsdPerHour: MicroUsd;
}

export interface AwsInstancePrice {
  instanceType: string;
  region: string;
  instanceFamily: string;
  gpuCount?: number;
  onDemandUsdPerHour?: MicroUsd;
  reserved: ReservedRate[];
  /** The price list's publication time, when it gives one. */
  publishedAt?: string;
}

export interface PriceListOutcome {
  prices: AwsInstancePrice[];
  /** Items that are not a shared-tenancy Linux GPU instance price, each with why. */
  rejected: { item: string; reason: string }[];
}

function usdOf(dimension: z.infer<typeof zPriceDimension>): MicroUsd | string {
  const usd = dimension.pricePerUnit.USD;
  if (usd === undefined)
    return `price not in USD (${Object.keys(dimension.pricePerUnit).join(', ') || 'none'})`;
  return parseUsdRounded(usd);
}

/** The on-demand hourly rate: one term whose dimension is priced in 'Hrs'; anything else is a reason. */
function onDemandRate(terms: Record<string, z.infer<typeof zTerm>> | undefined): MicroUsd | string {
  const reasons: string[] = [];
  for (const term of Object.values(terms ?? {})) {
    if (term.termAttributes?.LeaseContractLength) {
      reasons.push(`a ${term.termAttributes.LeaseContractLength} commitment filed under OnDemand`);
      continue;
    }
    for (const d of Object.values(term.priceDimensions)) {
      if (d.unit !== 'Hrs') {
        reasons.push(`priced per ${d.unit}, not per hour`);
        continue;
      }
      const usd = usdOf(d);
      if (typeof usd === 'string') reasons.push(usd);
      else if (usd === 0n) reasons.push('priced at $0 (a capacity-block or reservation SKU)');
      else return usd;
    }
  }
  return reasons.length > 0 ? reasons.join('; ') : 'no on-demand term';
}

function reservedRates(terms: Record<string, z.infer<typeof zTerm>> | undefined): ReservedRate[] {
  const out: ReservedRate[] = [];
  for (const term of Object.values(terms ?? {})) {
    const length = term.termAttributes?.LeaseContractLength;
    const termYears = length === '1yr' ? 1 : length === '3yr' ? 3 : undefined;
    if (termYears === undefined) continue;
    let hourly = 0n;
    let upfront = 0n;
    let usable = true;
    for (const d of Object.values(term.priceDimensions)) {
      const usd = usdOf(d);
      if (typeof usd === 'string') usable = false;
      else if (d.unit === 'Hrs') hourly += usd;
      else if (d.unit === 'Quantity') upfront += usd;
      else usable = false;
    }
    if (!usable) continue;
    out.push({
      termYears,
      offeringClass: term.termAttributes?.OfferingClass ?? 'unknown',
      purchaseOption: term.termAttributes?.PurchaseOption ?? 'unknown',
      effectiveUsdPerHour: hourly + upfront / BigInt(termYears * HOURS_PER_YEAR),
    });
  }
  return out;
}

/**
 * Reads one price-list item: a shared-tenancy Linux instance (operation RunInstances, so no licence and no
 * capacity block) in a known region, with an hourly on-demand USD price. Anything else comes back as a reason.
 */
export function parsePriceListItem(input: unknown): AwsInstancePrice | { reason: string } {
  let json = input;
  if (typeof input === 'string') {
    try {
      json = JSON.parse(input);
    } catch {
      return { reason: 'not valid JSON' };
    }
  }
  const parsed = zPriceListItem.safeParse(json);
  if (!parsed.success) return { reason: `not a price-list item: ${parsed.error.issues[0]?.message ?? ''}` };
  const { product, terms, publicationDate } = parsed.data;
  const a = product.attributes;
  if (!a.instanceType) return { reason: `not an instance (${product.productFamily ?? 'no product family'})` };
  if (a.operatingSystem !== 'Linux')
    return { reason: `${a.instanceType}: operating system ${a.operatingSystem ?? 'none'}` };
  if (a.tenancy && a.tenancy !== 'Shared') return { reason: `${a.instanceType}: ${a.tenancy} tenancy` };
  if (a.operation && a.operation !== 'RunInstances') {
    return { reason: `${a.instanceType}: operation ${a.operation} (licensed software or capacity block)` };
  }
  if (a.capacitystatus && a.capacitystatus !== 'Used') {
    return { reason: `${a.instanceType}: capacity status ${a.capacitystatus}` };
  }
  const region = a.regionCode ?? regionForLocation(a.location ?? '');
  if (!region) return { reason: `${a.instanceType}: unknown location ${JSON.stringify(a.location)}` };
  const onDemand = onDemandRate(terms.OnDemand);
  if (typeof onDemand === 'string') return { reason: `${a.instanceType} in ${region}: ${onDemand}` };
  const gpus = Number(a.gpu);
  return {
    instanceType: a.instanceType,
    region,
    instanceFamily: a.instanceFamily ?? '',
    gpuCount: Number.isInteger(gpus) && gpus > 0 ? gpus : undefined,
    onDemandUsdPerHour: onDemand,
    reserved: reservedRates(terms.Reserved),
    publishedAt: publicationDate,
  };
}

function collect(items: Iterable<[string, unknown]>): PriceListOutcome {
  const outcome: PriceListOutcome = { prices: [], rejected: [] };
  for (const [id, item] of items) {
    const parsed = parsePriceListItem(item);
    if ('reason' in parsed) outcome.rejected.push({ item: id, reason: parsed.reason });
    else outcome.prices.push(parsed);
  }
  return outcome;
}

const zOfferFile = z.object({
  publicationDate: z.string().optional(),
  products: z.record(z.string(), zProduct),
  terms: z.record(z.string(), z.unknown()),
});

/** Reads a bulk offer file (products and terms keyed by SKU) as the same items GetProducts returns. */
export function parseOfferFile(input: unknown): PriceListOutcome {
  const parsed = zOfferFile.safeParse(input);
  if (!parsed.success) return { prices: [], rejected: [{ item: '(file)', reason: 'not an AWS offer file' }] };
  const file = parsed.data;
  const termsOf = (kind: string, sku: string) => {
    const byKind = file.terms[kind];
    return byKind && typeof byKind === 'object' ? (byKind as Record<string, unknown>)[sku] : undefined;
  };
  return collect(
    Object.entries(file.products).map(([sku, product]) => [
      sku,
      {
        product,
        terms: { OnDemand: termsOf('OnDemand', sku), Reserved: termsOf('Reserved', sku) },
        publicationDate: file.publicationDate,
      },
    ]),
  );
}

export interface FetchAwsPricesOptions {
  /** Only this region (regionCode); all regions otherwise. */
  region?: string;
  /** Called after every page, so a long listing shows progress. */
  onPage?: (page: number, items: number) => void;
}

/**
 * Lists the GPU and accelerator instance prices of the Pricing API, page by page (NextToken), filtered
 * server-side to shared-tenancy Linux without pre-installed software.
 */
export async function fetchAwsGpuPrices(
  api: PricingApi,
  options: FetchAwsPricesOptions = {},
): Promise<PriceListOutcome> {
  const filters = [
    { Type: 'ANY_OF' as const, Field: 'instanceFamily', Value: AWS_ACCELERATOR_FAMILIES.join(',') },
    { Type: 'TERM_MATCH' as const, Field: 'operatingSystem', Value: 'Linux' },
    { Type: 'TERM_MATCH' as const, Field: 'tenancy', Value: 'Shared' },
    { Type: 'TERM_MATCH' as const, Field: 'preInstalledSw', Value: 'NA' },
    { Type: 'TERM_MATCH' as const, Field: 'capacitystatus', Value: 'Used' },
    ...(options.region ? [{ Type: 'TERM_MATCH' as const, Field: 'regionCode', Value: options.region }] : []),
  ];
  const outcome: PriceListOutcome = { prices: [], rejected: [] };
  let nextToken: string | undefined;
  let page = 0;
  do {
    const response = await api.send(
      new GetProductsCommand({
        ServiceCode: 'AmazonEC2',
        FormatVersion: 'aws_v1',
        Filters: filters,
        NextToken: nextToken,
      }),
    );
    // The SDK types PriceList items as JSON strings (or an automatic-conversion wrapper); parse both alike.
    const list: readonly unknown[] = response.PriceList ?? [];
    const items = list.map((item, i): [string, unknown] => [`page ${page + 1} item ${i + 1}`, String(item)]);
    const part = collect(items);
    outcome.prices.push(...part.prices);
    outcome.rejected.push(...part.rejected);
    page += 1;
    options.onPage?.(page, items.length);
    nextToken = response.NextToken || undefined;
  } while (nextToken);
  return outcome;
}

/**
 * The quote a plan uses for each reserved term: the standard no-upfront rate (what a team buys without a
 * capital outlay), else the cheapest effective standard rate, else the cheapest of any class.
 */
export function chooseReserved(rates: readonly ReservedRate[], termYears: 1 | 3): ReservedRate | undefined {
  const ofTerm = rates.filter((r) => r.termYears === termYears);
  const cheapest = (rs: readonly ReservedRate[]) =>
    rs.reduce<ReservedRate | undefined>(
      (best, r) => (!best || r.effectiveUsdPerHour < best.effectiveUsdPerHour ? r : best),
      undefined,
    );
  return (
    ofTerm.find((r) => r.offeringClass === 'standard' && r.purchaseOption === 'No Upfront') ??
    cheapest(ofTerm.filter((r) => r.offeringClass === 'standard')) ??
    cheapest(ofTerm)
  );
}

/** Region-wide quotes (zone REGION_WIDE_ZONE) of AWS list prices: on-demand and 1- and 3-year reserved. */
export function awsPriceQuotes(prices: readonly AwsInstancePrice[], asOfMs: number): PriceQuote[] {
  const asOf = toRfc3339(asOfMs);
  return prices.flatMap((p) => {
    if (p.onDemandUsdPerHour === undefined) return [];
    const base = {
      poolId: poolId('aws', p.region, REGION_WIDE_ZONE, p.instanceType),
      asOf,
      source: 'aws-pricing-api' as const,
      modelled: false,
    };
    const quotes: PriceQuote[] = [{ ...base, option: 'on-demand', usdPerHour: p.onDemandUsdPerHour }];
    for (const termYears of [1, 3] as const) {
      const r = chooseReserved(p.reserved, termYears);
      if (r) quotes.push({ ...base, option: 'reserved', usdPerHour: r.effectiveUsdPerHour, termYears });
    }
    return quotes;
  });
}
