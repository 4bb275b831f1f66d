// The refresh-prices run on dynalite with AWS mocked at the SDK level: live quotes under the configured pools' ids, the catalog as a marked fallback with its age.
import {
  DescribeInstanceTypesCommand,
  DescribeSpotPriceHistoryCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { GetProductsCommand, PricingClient } from '@aws-sdk/client-pricing';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { parseUsd } from '../../lib/domain/money.ts';
import type { Pool } from '../../lib/domain/pool.ts';
import type { PriceQuote } from '../../lib/domain/price.ts';
import { createMemoryEventSink } from '../../lib/memory/event-sink.ts';
import { loadCatalog } from '../../lib/pricing/catalog.ts';
import { refreshPrices } from '../../lib/runs/refresh-prices.ts';
import { answerAwsPrices, G5_ON_DEMAND_USD, P4D_ON_DEMAND_USD, SPOT_USD } from '../pricing/aws-responses.ts';
import { freshDynamoStore } from '../support/dynamo.ts';

const pricingMock = mockClient(PricingClient);
const ec2Mock = mockClient(EC2Client);
afterEach(() => {
  pricingMock.reset();
  ec2Mock.reset();
});

const NOW = Date.parse('2026-12-05T06:00:00Z');
const pool = (zone: string, instanceType: string, gpus: number, gpuModel: string, memory: number): Pool => ({
  id: `aws:us-east-1:${zone}:${instanceType}`,
  provider: 'aws',
  region: 'us-east-1',
  zone,
  instanceType,
  gpuModel,
  gpusPerInstance: gpus,
  gpuMemoryGiB: memory,
  interconnect: gpus > 1 ? 'nvswitch' : 'pcie',
  bootSeconds: 300,
});
const G5 = pool('us-east-1a', 'g5.xlarge', 1, 'A10G', 24);
const P4D = pool('us-east-1b', 'p4d.24xlarge', 8, 'A100', 40);
/** A pool of another provider: priced by its own connector, not by this run. */
const SLURM: Pool = {
  ...G5,
  id: 'slurm:hpc:gpu:a10',
  provider: 'slurm',
  region: 'hpc',
  zone: 'gpu',
  maxInstances: 4,
};

async function setUp(pools: Pool[] = [G5, P4D, SLURM]) {
  const { store } = await freshDynamoStore();
  await store.pools.put(pools);
  const events = createMemoryEventSink();
  const ports = {
    store,
    pricing: new PricingClient({ region: 'us-east-1' }),
    ec2: new EC2Client({ region: 'us-east-1' }),
    events,
    clock: { now: () => NOW },
  };
  return { store, events, ports };
}

const byKey = (quotes: readonly PriceQuote[]) =>
  Object.fromEntries(
    quotes.map((q) => [`${q.poolId} ${q.option}${q.termYears ? ` ${q.termYears}y` : ''}`, q]),
  );

describe('refresh-prices', () => {
  it('stores on-demand and spot quotes under each configured pool, as of now, from the live APIs', async () => {
    const { store, events, ports } = await setUp();
    answerAwsPrices(pricingMock, ec2Mock, () => NOW);

    const result = await refreshPrices(ports, { region: 'us-east-1' });

    expect(result.failures).toEqual([]);
    expect(result.fallback).toBeUndefined();
    expect(result.unpriced).toEqual([]);
    expect(result.poolMismatches).toEqual([]);
    expect(result.stale).toBeUndefined();
    expect(result.skippedPools).toEqual([SLURM.id]);
    const quotes = byKey(await store.prices.all());
    expect(Object.keys(quotes).sort()).toEqual([
      `${G5.id} on-demand`,
      `${G5.id} spot`,
      `${P4D.id} on-demand`,
      `${P4D.id} spot`,
    ]);
    expect(quotes[`${P4D.id} on-demand`]).toMatchObject({
      usdPerHour: parseUsd(P4D_ON_DEMAND_USD + '00'),
      source: 'aws-pricing-api',
      asOf: '2026-12-05T06:00:00Z',
      modelled: false,
    });
    expect(quotes[`${G5.id} on-demand`]!.usdPerHour).toBe(parseUsd(G5_ON_DEMAND_USD + '000'));
    // The latest point of the pool's own zone, with the catalog's interruption rate for its GPU.
    expect(quotes[`${P4D.id} spot`]).toMatchObject({
      usdPerHour: parseUsd(SPOT_USD['p4d.24xlarge']!),
      source: 'aws-spot-history',
      spotInterruptionRatePerHour: loadCatalog().spotRiskFor({ provider: 'aws', gpuModel: 'A100' })!
        .interruptionsPerHour,
    });
    const zonesAsked = ec2Mock
      .commandCalls(DescribeSpotPriceHistoryCommand)
      .map((c) => c.args[0].input.AvailabilityZone);
    expect(zonesAsked.sort()).toEqual(['us-east-1a', 'us-east-1b']);
    expect(pricingMock.commandCalls(GetProductsCommand)[0]!.args[0].input.Filters).toContainEqual({
      Type: 'TERM_MATCH',
      Field: 'regionCode',
      Value: 'us-east-1',
    });
    expect(events.events).toEqual([]);
  });

  it('falls back to the bundled catalog when the Pricing API fails: marked, with its age, and said on the bus', async () => {
    const { store, events, ports } = await setUp();
    answerAwsPrices(pricingMock, ec2Mock, () => NOW);
    pricingMock.on(GetProductsCommand).rejects(new Error('Rate exceeded'));

    const result = await refreshPrices(ports, { region: 'us-east-1' });

    expect(result.failures).toEqual([{ source: 'pricing-api', error: 'Rate exceeded' }]);
    const catalogP4d = loadCatalog().offerings.find(
      (o) => o.provider === 'aws' && o.region === 'us-east-1' && o.instanceType === 'p4d.24xlarge',
    )!;
    expect(result.fallback).toMatchObject({
      poolIds: [G5.id, P4D.id],
      catalogAsOf: catalogP4d.asOf,
      ageDays: Math.floor((NOW - Date.parse(catalogP4d.asOf)) / 86_400_000),
    });
    const quotes = byKey(await store.prices.all());
    expect(quotes[`${P4D.id} on-demand`]).toMatchObject({
      source: 'catalog',
      asOf: catalogP4d.asOf,
      usdPerHour: catalogP4d.onDemandUsdPerHour,
    });
    expect(quotes[`${P4D.id} reserved 1y`]).toMatchObject({ source: 'catalog', termYears: 1 });
    // Spot still came live: only the failed source's options fall back.
    expect(quotes[`${P4D.id} spot`]!.source).toBe('aws-spot-history');
    expect(result.stale?.message).toMatch(/older than 24 h/);
    const failed = events.events.filter((e) => e.detailType === 'Run Failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.detail).toMatchObject({ run: 'refresh-prices', part: 'pricing-api' });
    expect((failed[0]!.detail as { error: string }).error).toMatch(
      new RegExp(`Rate exceeded; .*bundled catalog as of ${catalogP4d.asOf} \\(\\d+ days old\\)`),
    );
  });

  it('keeps an earlier live quote over the older catalog when the API fails the next day', async () => {
    const { store, ports } = await setUp([P4D]);
    answerAwsPrices(pricingMock, ec2Mock, () => NOW);
    await refreshPrices(ports, { region: 'us-east-1' });
    pricingMock.on(GetProductsCommand).rejects(new Error('Rate exceeded'));
    const nextDay = { ...ports, clock: { now: () => NOW + 86_400_000 } };

    const result = await refreshPrices(nextDay, { region: 'us-east-1', maxAgeHours: 12 });

    const quotes = byKey(await store.prices.all());
    expect(quotes[`${P4D.id} on-demand`]).toMatchObject({
      source: 'aws-pricing-api',
      asOf: '2026-12-05T06:00:00Z',
    });
    // The catalog fills only what was never priced live (the reserved terms).
    expect(result.fallback?.quotes).toBe(2);
    // The kept quote ages visibly: a day old, past the 12 h allowed, as are the catalog's two.
    expect(result.stale?.staleQuotes).toBe(3);
  });

  it('reports a configured pool whose instance type EC2 describes differently', async () => {
    const { ports } = await setUp([{ ...P4D, gpusPerInstance: 4 }]);
    answerAwsPrices(pricingMock, ec2Mock, () => NOW);
    const result = await refreshPrices(ports, { region: 'us-east-1' });
    expect(result.poolMismatches).toEqual([`${P4D.id}: gpusPerInstance 4, EC2 says 8`]);
    expect(ec2Mock.commandCalls(DescribeInstanceTypesCommand)).toHaveLength(1);
  });

  it('reports a pool nothing prices (no list price, no catalog offering) as unpriced', async () => {
    const odd = pool('us-east-1a', 'g9.nonexistent', 1, 'A10G', 24);
    const { events, ports } = await setUp([odd]);
    answerAwsPrices(pricingMock, ec2Mock, () => NOW);
    const result = await refreshPrices(ports, { region: 'us-east-1' });
    expect(result.unpriced).toEqual([odd.id]);
    expect(events.events.map((e) => (e.detail as { part?: string }).part)).toEqual(['unpriced']);
  });
});
