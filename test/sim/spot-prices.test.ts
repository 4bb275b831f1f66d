// The spot price of each simulated pool: real AWS series for p3, p3dn and g4dn, tiled by hour of the week; modelled elsewhere.
import { describe, expect, it } from 'vitest';
import { parseUsd, usdToNumber } from '../../lib/domain/money.ts';
import { HOUR_MS, parseRfc3339 } from '../../lib/domain/time.ts';
import { loadCatalog } from '../../lib/pricing/catalog.ts';
import { AWS_CURRENT_SPOT_RATIO } from '../../lib/pricing/modelling.ts';
import { buildScenario } from '../../lib/sim/build-scenario.ts';
import {
  bundledSpotPriceHistory,
  hourlyGrid,
  HOURS_PER_WEEK,
  matchZones,
  spotPriceSeries,
  spotPriceSeriesByZone,
  spotPricesKnownAt,
} from '../../lib/sim/spot-prices.ts';
import { resolveTrace } from '../../lib/sim/traces.ts';

const catalog = loadCatalog();
const onDemand = (type: string, region = 'us-east-1') =>
  catalog.find({ provider: 'aws', region }).find((o) => o.instanceType === type)!.onDemandUsdPerHour;
const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
// Philly's first hour, 2017: years before any recording, so the series must be tiled onto it.
const PHILLY_START = parseRfc3339('2017-10-03T00:00:00Z');
const FOUR_WEEKS = 4 * HOURS_PER_WEEK;

describe('recorded AWS spot prices', () => {
  it.each([
    ['p3.2xlarge', 'us-west-2'],
    ['p3.16xlarge', 'us-east-1'],
    ['p3dn.24xlarge', 'us-east-1'],
    ['g4dn.xlarge', 'us-east-1'],
  ])('%s in %s follows a real series at about 0.30 × on-demand', (type, region) => {
    const zones = [`${region}a`, `${region}b`, `${region}c`];
    const series = spotPriceSeriesByZone(type, region, zones, FOUR_WEEKS, PHILLY_START, 1n);
    const od = usdToNumber(onDemand(type, region));
    // Pools follow different recorded zones wherever the recording has enough of them.
    const recordedZones = bundledSpotPriceHistory().byTypeRegion.get(`${type}|${region}`)!.length;
    expect(new Set(series.map((s) => s.recordedZone)).size).toBe(Math.min(zones.length, recordedZones));
    for (const s of series) {
      expect(s.modelled).toBe(false);
      expect(s.usdPerHour).toHaveLength(FOUR_WEEKS);
      const ratios = s.usdPerHour.map((p) => usdToNumber(p) / od);
      expect(median(ratios)).toBeGreaterThanOrEqual(0.299);
      expect(median(ratios)).toBeLessThan(0.35);
      expect(Math.max(...ratios)).toBeLessThan(0.45);
    }
  });

  it('moves where AWS moved it: p3.16xlarge in us-west-2 is not one flat price', () => {
    const [s] = spotPriceSeriesByZone(
      'p3.16xlarge',
      'us-west-2',
      ['us-west-2a'],
      FOUR_WEEKS,
      PHILLY_START,
      1n,
    );
    expect(new Set(s!.usdPerHour).size).toBeGreaterThan(5);
  });

  it('tiles in whole weeks, so a scenario hour takes a recorded hour of the same hour of the week', () => {
    const recorded = bundledSpotPriceHistory().byTypeRegion.get('p3.2xlarge|us-west-2')!;
    const zone = recorded.find((z) => z.zone === 'us-west-2a')!;
    expect(zone.usdPerHour.length % HOURS_PER_WEEK).toBe(0);
    const { usdPerHour } = spotPriceSeries(
      { instanceType: 'p3.2xlarge', region: 'us-west-2', zone: 'us-west-2a' },
      3 * zone.usdPerHour.length,
      PHILLY_START,
      1n,
    );
    for (const h of [0, 17, 500, zone.usdPerHour.length + 3]) {
      const atMs = PHILLY_START + h * HOUR_MS;
      const k =
        ((((atMs - zone.startMs) / HOUR_MS) % zone.usdPerHour.length) + zone.usdPerHour.length) %
        zone.usdPerHour.length;
      expect(usdPerHour[h]).toBe(zone.usdPerHour[k]);
      expect(new Date(zone.startMs + k * HOUR_MS).getUTCDay()).toBe(new Date(atMs).getUTCDay());
      expect(new Date(zone.startMs + k * HOUR_MS).getUTCHours()).toBe(new Date(atMs).getUTCHours());
    }
    // Whole recorded periods later, the price repeats.
    expect(usdPerHour.slice(zone.usdPerHour.length, 2 * zone.usdPerHour.length)).toEqual(
      usdPerHour.slice(0, zone.usdPerHour.length),
    );
  });

  it('an hour takes the price in effect at its start, and the grid stops at whole weeks', () => {
    const t0 = parseRfc3339('2020-01-06T00:30:00Z');
    const grid = hourlyGrid(
      [
        { atMs: t0, usdPerHour: parseUsd('1') },
        { atMs: t0 + HOUR_MS, usdPerHour: parseUsd('2') },
      ],
      t0 + 200 * HOUR_MS,
    );
    expect(grid.startMs).toBe(parseRfc3339('2020-01-06T01:00:00Z'));
    expect(grid.usdPerHour).toHaveLength(HOURS_PER_WEEK);
    expect(grid.usdPerHour.slice(0, 3)).toEqual([parseUsd('1'), parseUsd('2'), parseUsd('2')]);
  });

  it('gives zones absent from the recording unused recorded zones, so pools do not move in lock-step', () => {
    expect(
      matchZones(
        ['us-east-1a', 'us-east-1b', 'us-east-1c'],
        ['us-east-1b', 'us-east-1c', 'us-east-1d', 'us-east-1f'],
      ),
    ).toEqual(['us-east-1d', 'us-east-1b', 'us-east-1c']);
    expect(matchZones(['x', 'y', 'z'], ['a', 'b'])).toEqual(['a', 'b', 'a']);
  });
});

describe('modelled spot prices', () => {
  it('a type without a recording takes the catalog rate, flat, marked modelled', () => {
    const p4d = catalog
      .find({ provider: 'aws', region: 'us-east-1' })
      .find((o) => o.instanceType === 'p4d.24xlarge')!;
    const s = spotPriceSeries(
      { instanceType: 'p4d.24xlarge', region: 'us-east-1', zone: 'us-east-1a' },
      48,
      PHILLY_START,
      p4d.spotUsdPerHour!,
    );
    expect(s.modelled).toBe(true);
    expect(new Set(s.usdPerHour)).toEqual(new Set([p4d.spotUsdPerHour]));
    expect(usdToNumber(p4d.spotUsdPerHour!) / usdToNumber(p4d.onDemandUsdPerHour)).toBeCloseTo(
      AWS_CURRENT_SPOT_RATIO.ratio,
      4,
    );
  });
});

describe('what a planner may see', () => {
  it('only the prices up to the current hour', () => {
    const prices = [1n, 2n, 3n, 4n];
    expect(spotPricesKnownAt(prices, 0)).toEqual([1n]);
    expect(spotPricesKnownAt(prices, 2)).toEqual([1n, 2n, 3n]);
    expect(spotPricesKnownAt(prices, 9)).toEqual(prices);
    expect(spotPricesKnownAt(prices, -1)).toEqual([]);
  });
});

describe('the default scenario', () => {
  it('carries each pool’s hourly spot price series, aligned to its hours', async () => {
    const scenario = await buildScenario(resolveTrace('philly'), { lastHours: 24 * 14, warmupHours: 48 });
    for (const pool of scenario.pools) {
      expect(pool.spotUsdPerHourSeries).toHaveLength(scenario.hours);
      expect(pool.modelled?.spot).toBe(false);
      const expected = spotPriceSeries(
        { instanceType: 'p3.16xlarge', region: 'us-east-1', zone: pool.pool.zone! },
        scenario.hours,
        scenario.startMs,
        1n,
      );
      // p3.16xlarge in us-east-1 sat at 0.30 × $24.48 through the whole 2019–20 recording.
      expect(new Set(pool.spotUsdPerHourSeries)).toEqual(new Set(expected.usdPerHour));
      expect(new Set(pool.spotUsdPerHourSeries)).toEqual(new Set([parseUsd('7.344')]));
    }
    expect(scenario.assumptions.some((a) => a.startsWith('spot prices: recorded'))).toBe(true);
  });
});
