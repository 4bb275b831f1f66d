// The stated rules that fill the rates a source lacks (spot, 1-year, 3-year), from ratios measured on the other offerings.
import { usdFromNumber, usdToNumber, type MicroUsd } from '../domain/money.ts';
import type { Offering } from './offering.ts';

export interface Ratio {
  /** Rate / on-demand rate. */
  ratio: number;
  /** How many offerings the median was taken over. */
  offerings: number;
  /** The GPU model the ratio belongs to, or 'all' for the fallback over every GPU. */
  basis: string;
}

export interface ModelRatios {
  /** Spot / on-demand, median over GCP and Azure offerings with a published spot rate, per GPU model (fills GCP and Azure). */
  spot: Map<string, Ratio>;
  spotAll: Ratio;
  /** AWS spot / on-demand, median over the hours of recorded AWS spot series, per GPU model (fills AWS). */
  awsSpot: Map<string, Ratio>;
  /** AWS spot / on-demand for a GPU without a recorded AWS series: AWS_CURRENT_SPOT_RATIO. */
  awsSpotAll: Ratio;
  /** 1-year committed / on-demand, median over AWS offerings with a published 1-year rate, per GPU model. */
  reserved1y: Map<string, Ratio>;
  reserved1yAll: Ratio;
}

/**
 * Published monthly mean spot prices of p4d.24xlarge (8 × A100) in us-east-1 over 2024–2026 ran from about $6 to
 * $19 an hour against $21.96 on demand. The 2019–2021 AWS recordings sit at a floor of 0.30 × on-demand, but the
 * current GPU spot market is dearer and moves more, so a GPU without a recording of its own takes the midpoint of
 * that range ((6 + 19) / 2 / 21.96 ≈ 0.569), not the old floor and not another cloud's flat discount.
 */
export const AWS_P4D_SPOT_MONTHLY_MEAN_USD = { low: 6, high: 19, onDemand: 21.96 } as const;
export const AWS_CURRENT_SPOT_RATIO: Ratio = {
  ratio:
    (AWS_P4D_SPOT_MONTHLY_MEAN_USD.low + AWS_P4D_SPOT_MONTHLY_MEAN_USD.high) /
    2 /
    AWS_P4D_SPOT_MONTHLY_MEAN_USD.onDemand,
  offerings: 0,
  basis: 'all',
};

/** One hour of a recorded AWS spot series: its GPU model and its spot / on-demand ratio. */
export interface AwsSpotSample {
  gpuModel: string;
  spotToOnDemand: number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function ratioTable(
  offerings: readonly Offering[],
  rate: (o: Offering) => MicroUsd | undefined,
): { byGpu: Map<string, Ratio>; all: Ratio } {
  const byGpu = new Map<string, number[]>();
  const all: number[] = [];
  for (const o of offerings) {
    const r = rate(o);
    if (r === undefined || o.onDemandUsdPerHour <= 0n) continue;
    const ratio = usdToNumber(r) / usdToNumber(o.onDemandUsdPerHour);
    // A published "discount" of nothing (Azure H200 spot = on-demand) says no spot market, not a ratio.
    if (ratio >= 1) continue;
    all.push(ratio);
    byGpu.set(o.gpuModel, [...(byGpu.get(o.gpuModel) ?? []), ratio]);
  }
  return {
    byGpu: new Map(
      [...byGpu].map(([gpu, v]) => [gpu, { ratio: median(v), offerings: v.length, basis: gpu }] as const),
    ),
    all: { ratio: median(all), offerings: all.length, basis: 'all' },
  };
}

/** Median AWS spot / on-demand per GPU model over recorded hours; an hour at or above on-demand is no market. */
function awsSpotTable(samples: readonly AwsSpotSample[]): Map<string, Ratio> {
  const byGpu = new Map<string, number[]>();
  for (const s of samples) {
    if (!(s.spotToOnDemand > 0 && s.spotToOnDemand < 1)) continue;
    const list = byGpu.get(s.gpuModel) ?? [];
    list.push(s.spotToOnDemand);
    byGpu.set(s.gpuModel, list);
  }
  return new Map(
    [...byGpu].map(([gpu, v]) => [gpu, { ratio: median(v), offerings: v.length, basis: gpu }] as const),
  );
}

/**
 * Measures the ratios from offerings that carry published (not modelled) rates, and AWS spot from the hours of
 * recorded AWS spot series (`awsSpotSamples`). AWS spot is never taken from GCP or Azure: Azure's flat-discount
 * rows dominated that median and priced AWS spot at 0.185 × on-demand, far below any AWS record.
 */
export function measureRatios(
  offerings: readonly Offering[],
  awsSpotSamples: readonly AwsSpotSample[] = [],
): ModelRatios {
  const spot = ratioTable(
    offerings.filter((o) => o.provider !== 'aws' && !o.spotModelled),
    (o) => o.spotUsdPerHour,
  );
  const reserved = ratioTable(
    offerings.filter((o) => o.provider === 'aws' && !o.reserved1yModelled),
    (o) => o.reserved1yUsdPerHour,
  );
  return {
    spot: spot.byGpu,
    spotAll: spot.all,
    awsSpot: awsSpotTable(awsSpotSamples),
    awsSpotAll: AWS_CURRENT_SPOT_RATIO,
    reserved1y: reserved.byGpu,
    reserved1yAll: reserved.all,
  };
}

function scaled(rate: MicroUsd, ratio: number): MicroUsd {
  return usdFromNumber(usdToNumber(rate) * ratio);
}

/**
 * Fills what an offering lacks: spot = on-demand × the GPU's spot ratio — on AWS its ratio in recorded AWS spot
 * prices, else AWS_CURRENT_SPOT_RATIO; on GCP and Azure their own GPU's ratio, else that of all their GPUs; 1-year = on-demand × the GPU's AWS 1-year ratio (else all GPUs'); 3-year = on-demand × (1-year ratio)²,
 * i.e. the 1-year discount compounded over a second commitment. Each filled figure is marked modelled.
 */
export function applyModels(o: Offering, ratios: ModelRatios): Offering {
  const out = { ...o };
  if (out.spotUsdPerHour === undefined) {
    const r =
      o.provider === 'aws'
        ? (ratios.awsSpot.get(o.gpuModel) ?? ratios.awsSpotAll)
        : (ratios.spot.get(o.gpuModel) ?? ratios.spotAll);
    out.spotUsdPerHour = scaled(o.onDemandUsdPerHour, r.ratio);
    out.spotModelled = true;
  }
  if (out.reserved1yUsdPerHour === undefined) {
    const r = ratios.reserved1y.get(o.gpuModel) ?? ratios.reserved1yAll;
    out.reserved1yUsdPerHour = scaled(o.onDemandUsdPerHour, r.ratio);
    out.reserved1yModelled = true;
  }
  if (out.reserved3yUsdPerHour === undefined) {
    const oneYearRatio = usdToNumber(out.reserved1yUsdPerHour) / usdToNumber(o.onDemandUsdPerHour);
    out.reserved3yUsdPerHour = scaled(o.onDemandUsdPerHour, oneYearRatio * oneYearRatio);
    out.reserved3yModelled = true;
  }
  return out;
}
