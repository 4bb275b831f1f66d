// AWS spot prices: DescribeSpotPriceHistory paginated per availability zone, reduced to the latest price per zone × type.
import {
  DescribeSpotPriceHistoryCommand,
  type DescribeSpotPriceHistoryCommandOutput,
  type _InstanceType,
} from '@aws-sdk/client-ec2';
import { z } from 'zod';
import { parseUsdRounded, type MicroUsd } from '../domain/money.ts';
import { poolId } from '../domain/pool.ts';
import type { PriceQuote } from '../domain/price.ts';
import { toRfc3339 } from '../domain/time.ts';
import { regionOfZone } from './aws-regions.ts';

export interface SpotHistoryApi {
  send(command: DescribeSpotPriceHistoryCommand): Promise<DescribeSpotPriceHistoryCommandOutput>;
}

export interface SpotPricePoint {
  availabilityZone: string;
  region: string;
  instanceType: string;
  productDescription: string;
  usdPerHour: MicroUsd;
  timestampMs: number;
}

/** One SpotPriceHistory entry as the SDK gives it (Timestamp a Date) or as a recorded response holds it (a string). */
const zSpotEntry = z.object({
  AvailabilityZone: z.string().min(1),
  InstanceType: z.string().min(1),
  ProductDescription: z.string().min(1),
  SpotPrice: z.string().regex(/^\d+(\.\d+)?$/, 'expected a decimal price'),
  Timestamp: z.union([z.date(), z.string()]).transform((t, ctx) => {
    const ms = t instanceof Date ? t.getTime() : Date.parse(t);
    if (Number.isNaN(ms)) {
      ctx.addIssue({ code: 'custom', message: 'not a time' });
      return z.NEVER;
    }
    return ms;
  }),
});

export interface SpotHistoryOutcome {
  points: SpotPricePoint[];
  rejected: { index: number; reason: string }[];
}

export function parseSpotEntries(entries: readonly unknown[]): SpotHistoryOutcome {
  const outcome: SpotHistoryOutcome = { points: [], rejected: [] };
  entries.forEach((entry, index) => {
    const parsed = zSpotEntry.safeParse(entry);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      outcome.rejected.push({
        index,
        reason: `${issue?.path.join('.') || '(entry)'}: ${issue?.message ?? ''}`,
      });
      return;
    }
    const e = parsed.data;
    outcome.points.push({
      availabilityZone: e.AvailabilityZone,
      region: regionOfZone(e.AvailabilityZone),
      instanceType: e.InstanceType,
      productDescription: e.ProductDescription,
      usdPerHour: parseUsdRounded(e.SpotPrice),
      timestampMs: e.Timestamp,
    });
  });
  return outcome;
}

/** Reads a recorded DescribeSpotPriceHistory response (the CLI's JSON output); a broken file is an Error. */
export function parseRecordedSpotHistory(text: string): SpotHistoryOutcome {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`not a DescribeSpotPriceHistory response: invalid JSON (${(error as Error).message})`);
  }
  const shape = z.object({ SpotPriceHistory: z.array(z.unknown()) }).safeParse(json);
  if (!shape.success) throw new Error('not a DescribeSpotPriceHistory response: no SpotPriceHistory array');
  return parseSpotEntries(shape.data.SpotPriceHistory);
}

/** The newest point per availability zone × instance type × product. */
export function latestPerZone(points: readonly SpotPricePoint[]): SpotPricePoint[] {
  const latest = new Map<string, SpotPricePoint>();
  for (const p of points) {
    const key = `${p.availabilityZone}|${p.instanceType}|${p.productDescription}`;
    const have = latest.get(key);
    if (!have || p.timestampMs > have.timestampMs) latest.set(key, p);
  }
  return [...latest.values()].sort(
    (a, b) =>
      a.instanceType.localeCompare(b.instanceType) || a.availabilityZone.localeCompare(b.availabilityZone),
  );
}

export interface FetchSpotOptions {
  instanceTypes: readonly string[];
  availabilityZones: readonly string[];
  /** Only history since then; AWS keeps 90 days. */
  sinceMs: number;
  productDescriptions?: readonly string[];
}

/**
 * Latest spot price per zone × type: one paginated DescribeSpotPriceHistory listing per availability zone
 * (a zone's listing is small and a failure names the zone).
 */
export async function fetchLatestSpotPrices(
  api: SpotHistoryApi,
  options: FetchSpotOptions,
): Promise<SpotHistoryOutcome> {
  const all: SpotHistoryOutcome = { points: [], rejected: [] };
  for (const zone of options.availabilityZones) {
    let nextToken: string | undefined;
    do {
      const response = await api.send(
        new DescribeSpotPriceHistoryCommand({
          AvailabilityZone: zone,
          InstanceTypes: options.instanceTypes as _InstanceType[],
          ProductDescriptions: [...(options.productDescriptions ?? ['Linux/UNIX'])],
          StartTime: new Date(options.sinceMs),
          NextToken: nextToken,
        }),
      );
      const part = parseSpotEntries(response.SpotPriceHistory ?? []);
      all.points.push(...part.points);
      all.rejected.push(...part.rejected);
      nextToken = response.NextToken || undefined;
    } while (nextToken);
  }
  return { points: latestPerZone(all.points), rejected: all.rejected };
}

/** Spot quotes per zone pool; `interruptionRate` gives the expected interruptions per hour of an instance type. */
export function awsSpotQuotes(
  points: readonly SpotPricePoint[],
  asOfMs: number,
  interruptionRate?: (instanceType: string) => number | undefined,
): PriceQuote[] {
  return points.map((p) => {
    const rate = interruptionRate?.(p.instanceType);
    return {
      poolId: poolId('aws', p.region, p.availabilityZone, p.instanceType),
      option: 'spot' as const,
      usdPerHour: p.usdPerHour,
      // The price in force when it was read, not when AWS last changed it.
      asOf: toRfc3339(asOfMs),
      source: 'aws-spot-history' as const,
      modelled: false,
      ...(rate === undefined ? {} : { spotInterruptionRatePerHour: rate }),
    };
  });
}
