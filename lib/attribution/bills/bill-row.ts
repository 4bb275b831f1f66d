// One line of a provider's bill in FOCUS terms (what every importer maps onto), and the import's outcome.
import { z } from 'zod';
import { CHARGE_CATEGORIES, PRICING_CATEGORIES } from '../../domain/attribution.ts';
import { zId, zMicroUsd, zTimestamp } from '../../domain/fields.ts';

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

export interface RejectedLine {
  line: number;
  reason: string;
  /** What the line bills, in micro-units of `currency`, when that much could be read: totals still account for it. */
  billedCost?: bigint;
  currency?: string;
}

export interface BillImport {
  format: BillFormat;
  rows: BillRow[];
  rejected: RejectedLine[];
  /** About the whole file (a missing currency column taken as USD, say). */
  warnings: string[];
  /** Source lines read (every one is imported or rejected). */
  linesRead: number;
}

/** A row as a mapper makes it: no lineId yet, and money still exact, in fine units (see fields.ts billMoney). */
export type BillRowDraft = Omit<BillRow, 'lineId'>;

/** Thrown by a mapper for a line it cannot import; the reason names the column. */
export class LineRejected extends Error {
  constructor(
    reason: string,
    readonly billedCost?: bigint,
    readonly currency?: string,
  ) {
    super(reason);
    this.name = 'LineRejected';
  }
}
