// Online calibration of a class's p90 band: the quantile it is drawn at, moved by the misses scored so far.
import { z } from 'zod';
import { zCount, zId, zTimestamp } from './fields.ts';

/** What the forecast run keeps per class (or group total) between runs, to draw the next p90 band. */
export const zCalibration = z.object({
  classId: zId,
  /** The residual quantile the next p90 band is drawn at (adaptive conformal inference). */
  p90Level: z.number().min(0.5).max(1),
  /** The issue time of the latest forecast scored into the level: a forecast is scored once, at most. */
  scoredIssuedAt: zTimestamp,
  /** Forecasts scored into the level since it started. */
  scoredForecasts: zCount,
  /** The share of the latest scored forecast's hours above its p90 (0–1). */
  lastMissShare: z.number().min(0).max(1),
});
export type Calibration = z.infer<typeof zCalibration>;
