// AWS live prices on real response shapes: GetProducts pages, bulk offer files, spot price history, instance types.
import { readdirSync, readFileSync } from 'node:fs';
import {
  DescribeInstanceTypesCommand,
  DescribeSpotPriceHistoryCommand,
  EC2Client,
  type InstanceTypeInfo,
} from '@aws-sdk/client-ec2';
import { GetProductsCommand, PricingClient } from '@aws-sdk/client-pricing';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { parseUsd } from '../../lib/domain/money.ts';
import { zPriceQuote } from '../../lib/domain/price.ts';
import { fetchAwsGpuDetails, gpuDetailsOf } from '../../lib/pricing/aws-instance-types.ts';
import { createAwsLivePriceSource } from '../../lib/pricing/aws-live.ts';
import { loadCatalog } from '../../lib/pricing/catalog.ts';
import {
  awsPriceQuotes,
  chooseReserved,
  fetchAwsGpuPrices,
  parseOfferFile,
  parsePriceListItem,
  type AwsInstancePrice,
} from '../../lib/pricing/aws-pricing.ts';
import {
  awsSpotQuotes,
  fetchLatestSpotPrices,
  parseRecordedSpotHistory,
} from '../../lib/pricing/aws-spot.ts';

const FIXTURES = new URL('../fixtures/aws-pricing/', import.meta.url);
const fixture = (name: string) => readFileSync(new URL(name, FIXTURES), 'utf8');
const json = (name: string) => JSON.parse(fixture(name)) as Record<string, unknown>;

const pricing = mockClient(PricingClient);
const ec2 = mockClient(EC2Client);
afterEach(() => {
  pricing.reset();
  ec2.reset();
});

describe('GetProducts', () => {
  it('follows NextToken, parses the JSON-string items and rejects what is not an instance price', async () => {
    const page1 = json('aws-cli-docs__pricing_get-products_output.json');
    const m5 = fixture('ec2-instance-selector__GetProducts_m5_large.json');
    pricing
      .on(GetProductsCommand)
      .resolvesOnce({ PriceList: page1.PriceList as string[], NextToken: page1.NextToken as string })
      .resolvesOnce({ PriceList: [JSON.stringify(JSON.parse(m5))] });

    const outcome = await fetchAwsGpuPrices(new PricingClient({ region: 'us-east-1' }), {
      region: 'us-east-1',
    });

    const calls = pricing.commandCalls(GetProductsCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1]!.args[0].input.NextToken).toBe(page1.NextToken);
    expect(calls[0]!.args[0].input.Filters).toContainEqual({
      Type: 'ANY_OF',
      Field: 'instanceFamily',
      Value: 'GPU instance,Machine Learning ASIC Instances',
    });
    expect(outcome.rejected).toEqual([{ item: 'page 1 item 1', reason: 'not an instance (Storage)' }]);
    expect(outcome.prices).toHaveLength(1);
    const price = outcome.prices[0]!;
    expect(price).toMatchObject({
      instanceType: 'm5.large',
      region: 'us-east-1',
      onDemandUsdPerHour: parseUsd('0.096'),
    });
    expect(chooseReserved(price.reserved, 1)?.effectiveUsdPerHour).toBe(parseUsd('0.06'));
    expect(chooseReserved(price.reserved, 3)?.effectiveUsdPerHour).toBe(parseUsd('0.041'));
    // Partial upfront spreads the fee over the term: 0.019 + 505 / 26280 h.
    const partial3y = price.reserved.find(
      (r) => r.termYears === 3 && r.offeringClass === 'standard' && r.purchaseOption === 'Partial Upfront',
    );
    expect(partial3y?.effectiveUsdPerHour).toBe(parseUsd('0.038216'));
  });

  it('makes region-wide on-demand and reserved quotes the domain accepts', () => {
    const price = parsePriceListItem(
      fixture('ec2-instance-selector__GetProducts_m5_large.json'),
    ) as AwsInstancePrice;
    const quotes = awsPriceQuotes([price], Date.parse('2026-06-01T00:00:00Z'));
    expect(quotes.map((q) => [q.poolId, q.option, q.termYears ?? null, q.usdPerHour])).toEqual([
      ['aws:us-east-1:any:m5.large', 'on-demand', null, parseUsd('0.096')],
      ['aws:us-east-1:any:m5.large', 'reserved', 1, parseUsd('0.06')],
      ['aws:us-east-1:any:m5.large', 'reserved', 3, parseUsd('0.041')],
    ]);
    for (const q of quotes) expect(zPriceQuote.safeDecode(zPriceQuote.encode(q)).success).toBe(true);
  });
});

describe('bulk offer files', () => {
  it('reads a GPU on-demand price and rejects the capacity-block SKU', () => {
    const outcome = parseOfferFile(json('opencost__pricing-us-east-1.json'));
    expect(outcome.prices).toEqual([
      expect.objectContaining({
        instanceType: 'p4d.24xlarge',
        region: 'us-east-1',
        gpuCount: 8,
        onDemandUsdPerHour: parseUsd('32.7726'),
      }),
    ]);
    expect(outcome.rejected).toEqual([
      {
        item: 'YSXJGN78QTXNVGDQ',
        reason: 'p4d.24xlarge: operation RunInstances:CB (licensed software or capacity block)',
      },
    ]);
  });

  it('rejects Windows, a commitment filed under OnDemand and non-instance SKUs, each with its reason', () => {
    const outcome = parseOfferFile(json('opencost__pricing-us-east-2.json'));
    expect(outcome.prices).toEqual([]);
    expect(Object.fromEntries(outcome.rejected.map((r) => [r.item, r.reason]))).toEqual({
      '8D49XP354UEYTHGM': 'm5.large in us-east-2: a 3yr commitment filed under OnDemand',
      '9ZEEN7WWWQKAG292': 'p3.8xlarge: operating system Windows',
      M6UGCCQ3CDJQAA37: 'not an instance (Storage)',
      Y9RYMSE644KDSV4S: 'not an instance (Load Balancer-Network)',
    });
  });

  it('rejects a price in another currency', () => {
    const outcome = parseOfferFile(json('opencost__pricing-cn-northwest-1.json'));
    expect(outcome.prices).toEqual([]);
    expect(outcome.rejected).toEqual([{ item: 'R83VXG9NAPDASEGN', reason: 'not an instance (Storage)' }]);
    const cny = JSON.parse(fixture('opencost__pricing-cn-northwest-1.json'));
    const product = cny.products.R83VXG9NAPDASEGN;
    product.attributes = {
      ...product.attributes,
      instanceType: 'p3.2xlarge',
      operatingSystem: 'Linux',
      regionCode: 'cn-northwest-1',
    };
    for (const term of Object.values(cny.terms.OnDemand.R83VXG9NAPDASEGN) as {
      priceDimensions: Record<string, { unit: string }>;
    }[]) {
      for (const d of Object.values(term.priceDimensions)) d.unit = 'Hrs';
    }
    expect(parseOfferFile(cny).rejected[0]!.reason).toBe(
      'p3.2xlarge in cn-northwest-1: price not in USD (CNY)',
    );
  });
});

describe('DescribeSpotPriceHistory', () => {
  const recorded = json('ec2-instance-selector__DescribeSpotPriceHistory_m5_large.json').SpotPriceHistory as {
    AvailabilityZone: string;
    Timestamp: string;
  }[];

  it('lists each zone page by page and keeps the latest price per zone and type', async () => {
    const zones = [...new Set(recorded.map((e) => e.AvailabilityZone))].sort();
    // As the SDK returns them: Timestamp a Date; each zone's history split over two pages.
    for (const zone of zones) {
      const entries = recorded
        .filter((e) => e.AvailabilityZone === zone)
        .map((e) => ({ ...e, Timestamp: new Date(e.Timestamp) }));
      const half = Math.ceil(entries.length / 2);
      ec2
        .on(DescribeSpotPriceHistoryCommand, { AvailabilityZone: zone, NextToken: undefined })
        .resolves({ SpotPriceHistory: entries.slice(0, half), NextToken: `${zone}-2` })
        .on(DescribeSpotPriceHistoryCommand, { AvailabilityZone: zone, NextToken: `${zone}-2` })
        .resolves({ SpotPriceHistory: entries.slice(half), NextToken: '' });
    }
    const outcome = await fetchLatestSpotPrices(new EC2Client({ region: 'us-east-1' }), {
      instanceTypes: ['m5.large'],
      availabilityZones: zones,
      sinceMs: Date.parse('2021-01-01T00:00:00Z'),
    });
    expect(ec2.commandCalls(DescribeSpotPriceHistoryCommand)).toHaveLength(zones.length * 2);
    expect(outcome.rejected).toEqual([]);
    expect(outcome.points.map((p) => p.availabilityZone)).toEqual(zones);
    const f = outcome.points.find((p) => p.availabilityZone === 'us-east-1f')!;
    expect(f).toMatchObject({
      region: 'us-east-1',
      usdPerHour: parseUsd('0.0437'),
      timestampMs: Date.parse('2021-02-09T01:40:10Z'),
    });
    const quotes = awsSpotQuotes(outcome.points, Date.parse('2021-02-10T00:00:00Z'), () => 0.05);
    expect(quotes.find((q) => q.poolId === 'aws:us-east-1:us-east-1f:m5.large')).toMatchObject({
      option: 'spot',
      source: 'aws-spot-history',
      modelled: false,
      spotInterruptionRatePerHour: 0.05,
      asOf: '2021-02-10T00:00:00Z',
    });
  });

  it('reads a recorded CLI response and refuses the elided documentation sample', () => {
    const vpc = parseRecordedSpotHistory(
      fixture('aws-cli-docs__ec2_describe-spot-price-history_output_vpc.json'),
    );
    expect(vpc.points.map((p) => [p.availabilityZone, p.usdPerHour])).toEqual([
      ['us-west-1a', parseUsd('0.08')],
      ['us-west-1c', parseUsd('0.08')],
    ]);
    expect(() =>
      parseRecordedSpotHistory(fixture('aws-cli-docs__ec2_describe-spot-price-history_output_elided.txt')),
    ).toThrow(/not a DescribeSpotPriceHistory response: invalid JSON/);
  });
});

describe('DescribeInstanceTypes', () => {
  const g2 = json('ec2-instance-selector__DescribeInstanceTypes_g2_2xlarge.json') as {
    InstanceTypes: object[];
  };

  it('reads GpuInfo, following NextToken, and says when the GPU is not in the model table', async () => {
    ec2
      .on(DescribeInstanceTypesCommand)
      .resolvesOnce({ InstanceTypes: g2.InstanceTypes, NextToken: 'next' })
      .resolvesOnce({ InstanceTypes: [] });
    const details = await fetchAwsGpuDetails(new EC2Client({ region: 'us-east-1' }));
    expect(ec2.commandCalls(DescribeInstanceTypesCommand)).toHaveLength(2);
    expect(details).toEqual([
      {
        instanceType: 'g2.2xlarge',
        gpuModel: 'K520',
        gpuModelKnown: false,
        manufacturer: 'NVIDIA',
        gpuCount: 1,
        gpuMemoryGiB: 4,
        interconnect: { interconnect: 'pcie', inferred: true },
      },
    ]);
  });

  it('tells A100 40 GB from 80 GB by the memory GpuInfo gives', () => {
    // The recorded g2 shape with the GPU block of a p4de.24xlarge.
    const p4de: InstanceTypeInfo = {
      ...(g2.InstanceTypes[0] as InstanceTypeInfo),
      InstanceType: 'p4de.24xlarge',
      GpuInfo: {
        Gpus: [{ Count: 8, Manufacturer: 'NVIDIA', MemoryInfo: { SizeInMiB: 81920 }, Name: 'A100' }],
        TotalGpuMemoryInMiB: 655360,
      },
    };
    expect(gpuDetailsOf(p4de)).toMatchObject({
      gpuModel: 'A100-80GB',
      gpuModelKnown: true,
      gpuCount: 8,
      interconnect: { interconnect: 'nvswitch' },
    });
  });
});

describe('the aws-pricing fixtures', () => {
  it('are each read by a test above (none is left unexamined)', () => {
    const tested = readFileSync(new URL(import.meta.url), 'utf8');
    const files = readdirSync(FIXTURES).filter((f) => f !== 'SOURCES.md');
    for (const f of files) expect(tested.includes(`'${f}'`), f).toBe(true);
    const sources = fixture('SOURCES.md');
    for (const f of files) expect(sources.includes(f), `${f} in SOURCES.md`).toBe(true);
  });
});

describe('the AWS live price source', () => {
  it('joins list prices, GPU details and the latest spot price per zone, with the catalog spot risk', async () => {
    const offer = json('opencost__pricing-us-east-1.json') as {
      products: Record<string, unknown>;
      terms: { OnDemand: Record<string, unknown> };
    };
    const sku = 'H7NGEAC6UEHNTKSJ';
    const item = JSON.stringify({
      product: offer.products[sku],
      terms: { OnDemand: offer.terms.OnDemand[sku] },
    });
    pricing.on(GetProductsCommand).resolves({ PriceList: [item] });
    const g2 = json('ec2-instance-selector__DescribeInstanceTypes_g2_2xlarge.json') as {
      InstanceTypes: InstanceTypeInfo[];
    };
    // The recorded instance-type shape carrying a p4d's GPUs; the recorded spot entries moved to p4d.24xlarge.
    const p4d: InstanceTypeInfo = {
      ...g2.InstanceTypes[0]!,
      InstanceType: 'p4d.24xlarge',
      GpuInfo: {
        Gpus: [{ Count: 8, Manufacturer: 'NVIDIA', MemoryInfo: { SizeInMiB: 40960 }, Name: 'A100' }],
      },
    };
    ec2.on(DescribeInstanceTypesCommand).resolves({ InstanceTypes: [p4d] });
    const vpc = json('aws-cli-docs__ec2_describe-spot-price-history_output_vpc.json').SpotPriceHistory as {
      Timestamp: string;
    }[];
    ec2.on(DescribeSpotPriceHistoryCommand).resolves({
      SpotPriceHistory: vpc.map((e) => ({
        ...e,
        InstanceType: 'p4d.24xlarge',
        AvailabilityZone: 'us-east-1a',
        Timestamp: new Date(e.Timestamp),
      })) as never,
    });
    const source = createAwsLivePriceSource({
      pricing: new PricingClient({ region: 'us-east-1' }),
      ec2: new EC2Client({ region: 'us-east-1' }),
      clock: { now: () => Date.parse('2026-06-01T00:00:00Z') },
      region: 'us-east-1',
      availabilityZones: ['us-east-1a'],
      catalog: loadCatalog(),
    });
    const quotes = await source.quotes();
    expect(quotes.map((q) => [q.poolId, q.option, q.usdPerHour])).toEqual([
      ['aws:us-east-1:any:p4d.24xlarge', 'on-demand', parseUsd('32.7726')],
      ['aws:us-east-1:us-east-1a:p4d.24xlarge', 'spot', parseUsd('0.08')],
    ]);
    const risk = loadCatalog().spotRiskFor({ provider: 'aws', gpuModel: 'A100' })!.interruptionsPerHour;
    expect(quotes[1]!.spotInterruptionRatePerHour).toBe(risk);
  });
});
