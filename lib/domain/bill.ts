// One line of a provider's bill in FOCUS terms: what every importer maps onto and the store keeps.
import { z } from 'zod';
import { CHARGE_CATEGORIES, PRICING_CATEGORIES } from './attribution.ts';
import { zId, zMicroUsd, zTimestamp } from './fields.ts';

export const BILL_FORMATS = ['focus', 'aws-cur', 'azure-cost-details', 'gcp-billing'] as const;
export type BillFormat = (typeof BILL_FORMATS)[number];

export const zBillRow = z.object({
  /** Deterministic: the export's key and the line the row came from (and its part, when one line makes several rows). */
  lineId: zId,
  ProviderName: z.string(),
  BillingAccountId: z.string(),
  /** The account reconciliation groups by: AWS usage account, Azure subscription, GCP project. */
  SubAccountId: z.string(),
  ChargeCategory: z.enum(CHARGE_CATEGORIES),
  PricingCategory: z.enum(PRICING_CATEGORIES).optional(),
  ChargePeriodStart: zTimestamp,
  ChargePeriodEnd: zTimestamp,
  /** What the invoice charges for the line (before amortization). */
  BilledCost: zMicroUsd,
  /** What the line costs after commitments are amortized and discounts and credits applied. */
  EffectiveCost: zMicroUsd,
  /** The same usage at public list prices; the billed cost where the export does not say. */
  ListCost: zMicroUsd,
  ResourceId: z.string().optional(),
  ResourceType: z.string().optional(),
  RegionId: z.string().optional(),
  ServiceName: z.string().optional(),
  SkuPriceId: z.string().optional(),
  ChargeDescription: z.string().optional(),
  ConsumedQuantity: z.number().finite().optional(),
  ConsumedUnit: z.string().optional(),
  CommitmentDiscountId: z.string().optional(),
  /** Used or Unused: an unused commitment line bills the commitment, not a resource. */
  CommitmentDiscountStatus: z.enum(['Used', 'Unused']).optional(),
  Tags: z.record(z.string(), z.string()).default({}),
});
export type BillRow = z.infer<typeof zBillRow>;
export type BillRowWire = z.input<typeof zBillRow>;
