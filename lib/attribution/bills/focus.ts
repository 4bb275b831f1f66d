// FOCUS 1.0 to 1.3 exports (AWS Data Exports in FOCUS format, Azure's and GCP's FOCUS exports): one line, one row.
import { CHARGE_CATEGORIES, PRICING_CATEGORIES } from '../../domain/attribution.ts';
import { LineRejected, type BillRowDraft } from './bill-row.ts';
import {
  billMoney,
  billNumber,
  billTags,
  billTimeText,
  rejectLine,
  type Cells,
  type FineUsd,
} from './fields.ts';
import type { BillMapper } from './mapper.ts';

type ChargeCategory = BillRowDraft['ChargeCategory'];
type PricingCategory = NonNullable<BillRowDraft['PricingCategory']>;

/** Names earlier FOCUS drafts and some exports use for the same categories. */
const PRICING_ALIASES: Record<string, PricingCategory> = {
  'on-demand': 'Standard',
  'commitment-based': 'Committed',
  spot: 'Dynamic',
};

export function chargeCategoryOf(text: string): ChargeCategory {
  const found = CHARGE_CATEGORIES.find((c) => c.toLowerCase() === text.toLowerCase());
  if (!found) throw new LineRejected(`ChargeCategory ${JSON.stringify(text)} is not a FOCUS charge category`);
  return found;
}

export function pricingCategoryOf(text: string | undefined): PricingCategory | undefined {
  if (text === undefined) return undefined;
  const lower = text.toLowerCase();
  return PRICING_CATEGORIES.find((c) => c.toLowerCase() === lower) ?? PRICING_ALIASES[lower] ?? 'Other';
}

export function commitmentStatusOf(text: string | undefined): 'Used' | 'Unused' | undefined {
  const lower = text?.toLowerCase();
  return lower === 'used' ? 'Used' : lower === 'unused' ? 'Unused' : undefined;
}

/**
 * The USD figures of a line. A line billed in USD is read as is; Azure's FOCUS export in another currency carries
 * its own USD columns (x_BilledCostInUsd, x_EffectiveCostInUsd, x_ListCostInUsd), used when present.
 */
function usdCosts(cells: Cells, currency: string | undefined) {
  if (currency === undefined || currency.toUpperCase() === 'USD') {
    return {
      billedUsd: billMoney(cells.required('BilledCost'), 'BilledCost'),
      effectiveUsd: billMoney(cells.required('EffectiveCost'), 'EffectiveCost'),
      listText: ['ListCost', cells.text('ListCost')] as const,
    };
  }
  const billedInUsd = cells.text('x_BilledCostInUsd');
  const effectiveInUsd = cells.text('x_EffectiveCostInUsd');
  if (billedInUsd === undefined || effectiveInUsd === undefined) {
    rejectLine(
      `BillingCurrency is ${currency}, not USD, and the line has no x_BilledCostInUsd/x_EffectiveCostInUsd`,
      cells.text('BilledCost'),
      currency,
    );
  }
  return {
    billedUsd: billMoney(billedInUsd, 'x_BilledCostInUsd'),
    effectiveUsd: billMoney(effectiveInUsd, 'x_EffectiveCostInUsd'),
    listText: ['x_ListCostInUsd', cells.text('x_ListCostInUsd')] as const,
  };
}

export const focusMapper: BillMapper = {
  format: 'focus',
  amountOf: (cells) => cells.amount(['BilledCost'], ['BillingCurrency']),
  start(columns) {
    const lower = new Set(columns.map((c) => c.toLowerCase()));
    const missing = [
      'billedcost',
      'effectivecost',
      'chargecategory',
      'chargeperiodstart',
      'chargeperiodend',
    ].filter((c) => !lower.has(c));
    if (missing.length > 0) return { fatal: `not a FOCUS export: no ${missing.join(', ')} column` };
    const warnings: string[] = [];
    // The spec's own worked examples leave the currency out; FOCUS says BillingCurrency is mandatory.
    if (!lower.has('billingcurrency')) warnings.push('no BillingCurrency column: amounts are taken as USD');
    return { warnings };
  },
  map(cells) {
    const currency = cells.text('BillingCurrency');
    const { billedUsd, effectiveUsd, listText } = usdCosts(cells, currency);
    const listUsd: FineUsd = listText[1] === undefined ? billedUsd : billMoney(listText[1], listText[0]);
    const resourceId = cells.text('ResourceId');
    const row: BillRowDraft = {
      // FOCUS 1.3 deprecates ProviderName for ServiceProviderName (and HostProviderName).
      ProviderName: cells.text('ProviderName', 'ServiceProviderName', 'HostProviderName') ?? 'unknown',
      BillingAccountId: cells.text('BillingAccountId') ?? '',
      SubAccountId: cells.text('SubAccountId', 'BillingAccountId') ?? '',
      ChargeCategory: chargeCategoryOf(cells.required('ChargeCategory')),
      PricingCategory: pricingCategoryOf(cells.text('PricingCategory')),
      ChargePeriodStart: billTimeText(cells.required('ChargePeriodStart'), 'ChargePeriodStart'),
      ChargePeriodEnd: billTimeText(cells.required('ChargePeriodEnd'), 'ChargePeriodEnd'),
      BilledCost: billedUsd,
      EffectiveCost: effectiveUsd,
      ListCost: listUsd,
      ResourceId: resourceId,
      ResourceType: cells.text('ResourceType'),
      RegionId: cells.text('RegionId'),
      ServiceName: cells.text('ServiceName'),
      SkuPriceId: cells.text('SkuPriceId'),
      ChargeDescription: cells.text('ChargeDescription'),
      ConsumedQuantity: billNumber(cells.text('ConsumedQuantity'), 'ConsumedQuantity'),
      ConsumedUnit: cells.text('ConsumedUnit'),
      CommitmentDiscountId: cells.text('CommitmentDiscountId'),
      CommitmentDiscountStatus: commitmentStatusOf(cells.text('CommitmentDiscountStatus')),
      Tags: billTags(cells.raw('Tags')),
    };
    return [row];
  },
};
