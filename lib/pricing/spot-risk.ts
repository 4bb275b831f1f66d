// Spot risk per provider × GPU model: interruptions per instance-hour from availability traces, and spot price volatility.
import { z } from 'zod';
import { CATALOG_PROVIDERS } from './offering.ts';
import { SPOT_RISK_CLASSES } from './gpu-models.ts';

/** One point of a step trace: from `hours` on, `instances` were alive (or available). */
export interface TracePoint {
  hours: number;
  instances: number;
}

export interface TraceStats {
  /** Instances lost: the sum of every fall in the count. */
  interruptions: number;
  /** Instance-hours alive: the area under the step trace. */
  instanceHours: number;
}

/** Interruptions and instance-hours of a step trace (points in time order; the last point closes the trace). */
export function stepTraceStats(points: readonly TracePoint[]): TraceStats {
  let interruptions = 0;
  let instanceHours = 0;
  for (let i = 1; i < points.length; i++) {
    const previous = points[i - 1]!;
    const current = points[i]!;
    instanceHours += previous.instances * Math.max(0, current.hours - previous.hours);
    if (current.instances < previous.instances) interruptions += previous.instances - current.instances;
  }
  return { interruptions, instanceHours };
}

/** A regularly sampled trace (SkyPilot's `{metadata: {gap_seconds}, data: [n…]}`) as step points. */
export function sampledTracePoints(counts: readonly number[], gapSeconds: number): TracePoint[] {
  return counts.map((instances, i) => ({ hours: (i * gapSeconds) / 3600, instances }));
}

/** Coefficient of variation (stdev / mean) of a price series; 0 for fewer than two points. */
export function coefficientOfVariation(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  if (mean <= 0) return 0;
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1);
  return Math.sqrt(variance) / mean;
}

export interface SpotRisk {
  provider: (typeof CATALOG_PROVIDERS)[number];
  gpuModel: string;
  spotRiskClass: (typeof SPOT_RISK_CLASSES)[number];
  /** Expected interruptions per instance-hour. */
  interruptionsPerHour: number;
  /** True unless this provider × GPU is the one the trace measured. */
  interruptionsModelled: boolean;
  /** Which traces the rate comes from, in words. */
  traceBasis: string;
  /** Median over offerings of the coefficient of variation of the daily spot price; undefined without history. */
  spotPriceCv?: number;
  spotPriceDays?: number;
}

export const SPOT_RISK_COLUMNS = [
  'provider',
  'gpu_model',
  'spot_risk_class',
  'interruptions_per_hour',
  'interruptions_modelled',
  'trace_basis',
  'spot_price_cv',
  'spot_price_days',
] as const;
export type SpotRiskRow = Record<(typeof SPOT_RISK_COLUMNS)[number], string>;

const zOptionalNonNegative = z
  .string()
  .transform((v) => (v === '' ? undefined : Number(v)))
  .pipe(z.number().finite().min(0).optional());

export const zSpotRiskRow = z
  .object({
    provider: z.enum(CATALOG_PROVIDERS),
    gpu_model: z.string().min(1),
    spot_risk_class: z.enum(SPOT_RISK_CLASSES),
    interruptions_per_hour: z.string().transform(Number).pipe(z.number().finite().min(0).max(1)),
    interruptions_modelled: z.enum(['true', 'false']).transform((v) => v === 'true'),
    trace_basis: z.string().min(1),
    spot_price_cv: zOptionalNonNegative,
    spot_price_days: zOptionalNonNegative,
  })
  .transform((r): SpotRisk => ({
    provider: r.provider,
    gpuModel: r.gpu_model,
    spotRiskClass: r.spot_risk_class,
    interruptionsPerHour: r.interruptions_per_hour,
    interruptionsModelled: r.interruptions_modelled,
    traceBasis: r.trace_basis,
    spotPriceCv: r.spot_price_cv,
    spotPriceDays: r.spot_price_days,
  }));

export function spotRiskToRow(r: SpotRisk): SpotRiskRow {
  return {
    provider: r.provider,
    gpu_model: r.gpuModel,
    spot_risk_class: r.spotRiskClass,
    interruptions_per_hour: r.interruptionsPerHour.toFixed(6),
    interruptions_modelled: String(r.interruptionsModelled),
    trace_basis: r.traceBasis,
    spot_price_cv: r.spotPriceCv === undefined ? '' : r.spotPriceCv.toFixed(4),
    spot_price_days: r.spotPriceDays === undefined ? '' : String(r.spotPriceDays),
  };
}
