// Hourly demand per workload class, kept so the forecast reads hours, not every 5-minute rollup behind them.
import { z } from 'zod';
import { zId, zNonNegative } from './fields.ts';
import { HOUR_MS } from './time.ts';

/** GPUs a class demanded in one UTC hour (the mean over its nodes' reported windows, as the forecast counts it). */
export const zDemandHour = z.object({
  classId: zId,
  hourStartMs: z
    .number()
    .int()
    .min(0)
    .refine((ms) => ms % HOUR_MS === 0, {
      message: 'expected the start of a UTC hour (epoch ms, a multiple of 3600000)',
    }),
  gpus: zNonNegative,
});
export type DemandHour = z.infer<typeof zDemandHour>;
