// Cost attribution rows in the FOCUS column set, with the job, user, project and team as x_ columns.
import { z } from 'zod';
import { zId, zMicroUsd, zNonNegative, zTimestamp } from './fields.ts';

export const CHARGE_CATEGORIES = ['Usage', 'Purchase', 'Tax', 'Credit', 'Adjustment'] as const;
export const PRICING_CATEGORIES = ['Standard', 'Dynamic', 'Committed', 'Other'] as const;

export const zAttributionRow = z.object({
  BilledCost: zMicroUsd,
  EffectiveCost: zMicroUsd,
  ListCost: zMicroUsd,
  ChargeCategory: z.enum(CHARGE_CATEGORIES),
  ChargePeriodStart: zTimestamp,
  ChargePeriodEnd: zTimestamp,
  PricingCategory: z.enum(PRICING_CATEGORIES),
  ResourceId: zId,
  ResourceType: z.string(),
  RegionId: z.string(),
  SkuPriceId: z.string(),
  Tags: z.record(z.string(), z.string()).default({}),
  x_JobId: zId,
  x_User: zId,
  x_Project: zId,
  x_Team: zId,
  x_PoolId: zId,
  x_PurchaseOption: z.string(),
  x_GpuSeconds: zNonNegative,
  x_CostSource: z.enum(['list', 'bill']).default('list'),
});
export type AttributionRow = z.infer<typeof zAttributionRow>;

/** The FOCUS columns in the order CSV exports write them. */
export const ATTRIBUTION_COLUMNS = Object.keys(zAttributionRow.shape) as (keyof AttributionRow)[];
