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
  /** Spot / on-demand, median over GCP and Azure offerings with a published spot rate, per GPU model. */
  spot: Map<string, Ratio>;
  spotAll: Ratio;
  /** 1-year committed / on-demand, median over AWS offerings with a published 1-year rate, per GPU model. */
  reserved1y: Map<string, Ratio>;
  reserved1yAll: Ratio;
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

/** Measures the ratios from offerings that carry published (not modelled) rates. */
export function measureRatios(offerings: readonly Offering[]): ModelRatios {
  const spot = ratioTable(
    offerings.filter((o) => o.provider !== 'aws' && !o.spotModelled),
    (o) => o.spotUsdPerHour,
  );
  const reserved = ratioTable(
    offerings.filter((o) => o.provider === 'aws' && !o.reserved1yModelled),
    (o) => o.reserved1yUsdPerHour,
  );
  return { spot: spot.byGpu, spotAll: spot.all, reserved1y: reserved.byGpu, reserved1yAll: reserved.all };
}

function scaled(rate: MicroUsd, ratio: number): MicroUsd {
  return usdFromNumber(usdToNumber(rate) * ratio);
}

/**
 * Fills what an offering lacks: spot = on-demand × the GPU's spot ratio on GCP and Azure (else the ratio of all
 * GPUs); 1-year = on-demand × the GPU's AWS 1-year ratio (else all GPUs'); 3-year = on-demand × (1-year ratio)²,
 * i.e. the 1-year discount compounded over a second commitment. Each filled figure is marked modelled.
 */
export function applyModels(o: Offering, ratios: ModelRatios): Offering {
  const out = { ...o };
  if (out.spotUsdPerHour === undefined) {
    const r = ratios.spot.get(o.gpuModel) ?? ratios.spotAll;
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
