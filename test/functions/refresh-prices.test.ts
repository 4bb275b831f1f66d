// The refresh-prices door: the stored config's pools priced from the Pricing API and spot history (SDK mocks on
// recorded shapes) into dynalite, each quote with its source and age; a failed API falls back to the marked catalog.
import { EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GetProductsCommand, PricingClient } from '@aws-sdk/client-pricing';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseUsd } from '../../lib/domain/money.ts';
import type { PriceQuote } from '../../lib/domain/price.ts';
import { loadCatalog } from '../../lib/pricing/catalog.ts';
import { answerAwsPrices, G5_ON_DEMAND_USD, P4D_ON_DEMAND_USD, SPOT_USD } from '../pricing/aws-responses.ts';
import { captureLogs, doorTable, lambdaContext, mockBus, schedulerEvent } from './support.ts';

const NOW = Date.parse('2026-12-05T06:00:00Z');
/** The example config's two pools (config/example.json). */
const G5 = 'aws:us-east-1:us-east-1a:g5.xlarge';
const P4D = 'aws:us-east-1:us-east-1b:p4d.24xlarge';

const pricing = mockClient(PricingClient);
const ec2 = mockClient(EC2Client);
const bus = mockClient(EventBridgeClient);
const putEvents = mockBus(bus);

const byKey = (quotes: readonly PriceQuote[]) =>
  Object.fromEntries(
    quotes.map((q) => [`${q.poolId} ${q.option}${q.termYears ? ` ${q.termYears}y` : ''}`, q]),
  );

async function door() {
  const fresh = await doorTable();
  vi.resetModules();
  const { handler } = await import('../../functions/refresh-prices.ts');
  return {
    ...fresh,
    invoke: () =>
      handler(schedulerEvent(NOW, 'refresh-prices'), lambdaContext('GpuOptimizer-RefreshPrices', 'req-1')),
  };
}

describe('functions/refresh-prices', () => {
  beforeAll(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(NOW);
  });
  afterAll(() => vi.useRealTimers());
  beforeEach(() => {
    pricing.reset();
    ec2.reset();
    bus.resetHistory();
    answerAwsPrices(pricing, ec2, () => NOW);
  });

  it("prices the config's pools from the live APIs, each quote with its source and as of now", async () => {
    const { store, invoke } = await door();
    // The table has no pools yet (sync-config has not run): the door prices what the config names.
    expect(await store.pools.list()).toEqual([]);

    const result = await invoke();

    expect(result).toMatchObject({ pools: [G5, P4D], failures: [], unpriced: [], eventFailures: [] });
    const quotes = byKey(await store.prices.all());
    expect(Object.keys(quotes).sort()).toEqual([
      `${G5} on-demand`,
      `${G5} spot`,
      `${P4D} on-demand`,
      `${P4D} spot`,
    ]);
    expect(quotes[`${P4D} on-demand`]).toMatchObject({
      usdPerHour: parseUsd(P4D_ON_DEMAND_USD),
      source: 'aws-pricing-api',
      asOf: '2026-12-05T06:00:00Z',
    });
    expect(quotes[`${G5} on-demand`]!.usdPerHour).toBe(parseUsd(G5_ON_DEMAND_USD));
    expect(quotes[`${G5} spot`]).toMatchObject({
      usdPerHour: parseUsd(SPOT_USD['g5.xlarge']!),
      source: 'aws-spot-history',
    });
    // List prices are read in the Pricing API's region, for the deployment's region.
    const asked = pricing.commandCalls(GetProductsCommand)[0]!;
    expect(await asked.thisValue.config.region()).toBe('us-east-1');
    expect(asked.args[0].input.Filters).toContainEqual({
      Type: 'TERM_MATCH',
      Field: 'regionCode',
      Value: 'us-east-1',
    });
    expect(putEvents()).toEqual([]);
  });

  it('falls back to the bundled catalog when the Pricing API fails: quotes marked with its date, a Run Failed on the bus', async () => {
    pricing.on(GetProductsCommand).rejects(new Error('Rate exceeded'));
    const { store, invoke } = await door();

    const logs = captureLogs();
    const result = await invoke().finally(logs.restore);

    const catalogP4d = loadCatalog().offerings.find(
      (o) => o.provider === 'aws' && o.region === 'us-east-1' && o.instanceType === 'p4d.24xlarge',
    )!;
    expect(result.failures).toEqual([{ source: 'pricing-api', error: 'Rate exceeded' }]);
    expect(result.fallback).toMatchObject({ poolIds: [G5, P4D], catalogAsOf: catalogP4d.asOf });
    const quotes = byKey(await store.prices.all());
    expect(quotes[`${P4D} on-demand`]).toMatchObject({
      source: 'catalog',
      asOf: catalogP4d.asOf,
      usdPerHour: catalogP4d.onDemandUsdPerHour,
    });
    // Spot did not fail: it is still live.
    expect(quotes[`${P4D} spot`]).toMatchObject({ source: 'aws-spot-history', asOf: '2026-12-05T06:00:00Z' });
    const failed = putEvents().filter((e) => e.detailType === 'Run Failed');
    expect(failed).toEqual([
      expect.objectContaining({
        source: 'gpu-optimizer.decisions',
        busName: 'gpu-optimizer',
        detail: expect.objectContaining({ run: 'refresh-prices', part: 'pricing-api' }),
      }),
    ]);
    expect(String(failed[0]!.detail.error)).toContain(`bundled catalog as of ${catalogP4d.asOf}`);
    // Said in the log as a warning, on the door's logger with the Lambda context.
    expect(logs.lines.filter((l) => l.run === 'refresh-prices')).toEqual([
      expect.objectContaining({
        level: 'WARN',
        service: 'gpu-optimizer-refreshPrices',
        function_request_id: 'req-1',
        failures: [{ source: 'pricing-api', error: 'Rate exceeded' }],
      }),
    ]);
  });
});
