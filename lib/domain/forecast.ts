// Demand forecasts: per workload class, a point forecast and quantiles per future step.
import { z } from 'zod';
import { zId, zNonNegative, zTimestamp } from './fields.ts';

export const QUANTILES = ['p50', 'p90', 'p99'] as const;
export type QuantileName = (typeof QUANTILES)[number];

export const zForecastStep = z.object({
  at: zTimestamp,
  point: zNonNegative,
  p50: zNonNegative,
  p90: zNonNegative,
  p99: zNonNegative,
});
export type ForecastStep = z.infer<typeof zForecastStep>;

export const zModelScore = z.object({
  model: zId,
  mase: z.number().nullable(),
  smape: z.number().nullable(),
  pinball: z.number().nullable(),
  coverageP90: z.number().nullable(),
});
export type ModelScore = z.infer<typeof zModelScore>;

/** A forecast of GPUs demanded (busy + pending) for one workload class. */
export const zForecast = z.object({
  classId: zId,
  issuedAt: zTimestamp,
  stepSeconds: z.number().int().positive(),
  model: zId,
  /** Why this model: the backtest scores of every candidate. */
  scores: z.array(zModelScore).default([]),
  steps: z.array(zForecastStep),
});
export type Forecast = z.infer<typeof zForecast>;

/** A demand series point: GPUs demanded in one step. */
export interface DemandPoint {
  atMs: number;
  gpus: number;
}
