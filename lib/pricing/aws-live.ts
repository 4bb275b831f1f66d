// The AWS live PriceSource: Pricing API list prices and the latest spot prices, with catalog spot risk per GPU.
import type { Clock, PriceQuery, PriceSource } from '../domain/ports.ts';
import { filterQuotes } from '../domain/price.ts';
import { HOUR_MS } from '../domain/time.ts';
import { awsPriceQuotes, fetchAwsGpuPrices, type PricingApi } from './aws-pricing.ts';
import { awsSpotQuotes, fetchLatestSpotPrices, type SpotHistoryApi } from './aws-spot.ts';
import { fetchAwsGpuDetails, type InstanceTypesApi } from './aws-instance-types.ts';
import type { Catalog } from './catalog.ts';

export interface AwsLivePriceSourceOptions {
  pricing: PricingApi;
  /** An EC2Client of the region whose zones are listed. */
  ec2: SpotHistoryApi & InstanceTypesApi;
  clock: Clock;
  region: string;
  availabilityZones: readonly string[];
  /** Spot risk per GPU model comes from the catalog's traces. */
  catalog?: Catalog;
  /** How far back spot history is read: the latest change may be days old. */
  spotLookbackHours?: number;
}

export function createAwsLivePriceSource(options: AwsLivePriceSourceOptions): PriceSource {
  return {
    async quotes(query?: PriceQuery) {
      const now = options.clock.now();
      const [list, gpus] = await Promise.all([
        fetchAwsGpuPrices(options.pricing, { region: options.region }),
        fetchAwsGpuDetails(options.ec2),
      ]);
      const gpuOf = new Map(gpus.map((g) => [g.instanceType, g]));
      const instanceTypes = [...new Set(list.prices.map((p) => p.instanceType))].filter((t) => gpuOf.has(t));
      const spot =
        instanceTypes.length === 0
          ? { points: [] }
          : await fetchLatestSpotPrices(options.ec2, {
              instanceTypes,
              availabilityZones: options.availabilityZones,
              sinceMs: now - (options.spotLookbackHours ?? 24 * 7) * HOUR_MS,
            });
      const rate = (type: string) => {
        const gpu = gpuOf.get(type);
        return gpu
          ? options.catalog?.spotRiskFor({ provider: 'aws', gpuModel: gpu.gpuModel })?.interruptionsPerHour
          : undefined;
      };
      return filterQuotes(
        [
          ...awsPriceQuotes(
            list.prices.filter((p) => gpuOf.has(p.instanceType) || p.gpuCount),
            now,
          ),
          ...awsSpotQuotes(spot.points, now, rate),
        ],
        query,
      );
    },
  };
}
