// AWS Cost and Usage Report (CUR 2.0 snake_case columns, and the legacy `lineItem/UnblendedCost` form) to FOCUS rows.
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

/** Legacy CUR `lineItem/UnblendedCost` → CUR 2.0 `line_item_unblended_cost` (AWS renamed every column this way). */
export function cur2ColumnName(name: string): string {
  const slash = name.indexOf('/');
  if (slash < 0) return name;
  const snake = (part: string) =>
    part
      .replace(/([A-Z])/g, '_$1')
      .toLowerCase()
      .replace(/^_/, '');
  const group = name.slice(0, slash);
  const rest = name.slice(slash + 1);
  // Legacy tag columns keep their key as is: resourceTags/user:team → resource_tags_user:team.
  if (group === 'resourceTags' || group === 'costCategory') return `${snake(group)}_${rest}`;
  return `${snake(group)}_${snake(rest)}`;
}

type ChargeCategory = BillRowDraft['ChargeCategory'];

/** How each line item type is charged and what it costs after amortization (AWS's documented amortized-cost rule). */
interface LineItemRule {
  category: ChargeCategory;
  effective: (cells: Cells, unblendedUsd: FineUsd) => FineUsd;
  status?: 'Used' | 'Unused';
  pricing?: NonNullable<BillRowDraft['PricingCategory']>;
}

const column = (cells: Cells, name: string): FineUsd | undefined => {
  const text = cells.text(name);
  return text === undefined ? undefined : billMoney(text, name);
};
const asBilled: LineItemRule['effective'] = (_c, unblended) => unblended;
const nothing: LineItemRule['effective'] = () => 0n;

const LINE_ITEM_RULES: Record<string, LineItemRule> = {
  Usage: { category: 'Usage', effective: asBilled },
  SavingsPlanCoveredUsage: {
    category: 'Usage',
    pricing: 'Committed',
    status: 'Used',
    effective: (c, u) => column(c, 'savings_plan_savings_plan_effective_cost') ?? u,
  },
  // The negation cancels the covered usage's on-demand cost on the invoice; amortized, it is nothing.
  SavingsPlanNegation: { category: 'Usage', pricing: 'Committed', effective: nothing },
  // The commitment fee, amortized, is only its unused part (the used part sits in the covered usage).
  SavingsPlanRecurringFee: {
    category: 'Usage',
    pricing: 'Committed',
    status: 'Unused',
    effective: (c, u) => {
      const total = column(c, 'savings_plan_total_commitment_to_date');
      const used = column(c, 'savings_plan_used_commitment');
      return total !== undefined && used !== undefined ? total - used : u;
    },
  },
  SavingsPlanUpfrontFee: { category: 'Purchase', pricing: 'Committed', effective: nothing },
  DiscountedUsage: {
    category: 'Usage',
    pricing: 'Committed',
    status: 'Used',
    effective: (c, u) => column(c, 'reservation_effective_cost') ?? u,
  },
  RIFee: {
    category: 'Usage',
    pricing: 'Committed',
    status: 'Unused',
    effective: (c, u) => {
      const fee = column(c, 'reservation_unused_amortized_upfront_fee_for_billing_period');
      const recurring = column(c, 'reservation_unused_recurring_fee');
      return fee !== undefined || recurring !== undefined ? (fee ?? 0n) + (recurring ?? 0n) : u;
    },
  },
  Fee: {
    category: 'Purchase',
    // An all- or partial-upfront reservation fee is amortized over the term: nothing of it lands on one hour here.
    effective: (c, u) => (c.text('reservation_reservation_a_r_n') ? 0n : u),
  },
  Tax: { category: 'Tax', effective: asBilled },
  Credit: { category: 'Credit', effective: asBilled },
  Refund: { category: 'Adjustment', effective: asBilled },
  BundledDiscount: { category: 'Credit', effective: asBilled },
  Discount: { category: 'Credit', effective: asBilled },
  EdpDiscount: { category: 'Credit', effective: asBilled },
  PrivateRateDiscount: { category: 'Credit', effective: asBilled },
  SppDiscount: { category: 'Credit', effective: asBilled },
  DistributorDiscount: { category: 'Credit', effective: asBilled },
};

function pricingOf(cells: Cells, rule: LineItemRule): BillRowDraft['PricingCategory'] {
  if (rule.pricing) return rule.pricing;
  const term = cells.text('pricing_term')?.toLowerCase();
  if (term === 'reserved') return 'Committed';
  if (term === 'spot' || /spotusage/i.test(cells.text('line_item_usage_type') ?? '')) return 'Dynamic';
  if (term === 'ondemand') return 'Standard';
  return rule.category === 'Usage' ? 'Standard' : undefined;
}

/** Tags from CUR 2.0's `resource_tags` map column (JSON in CSV) or the legacy one-column-per-tag form. */
function tagsOf(cells: Cells): Record<string, string> {
  const map = billTags(cells.raw('resource_tags'));
  for (const name of cells.namesStartingWith('resource_tags_')) {
    const value = cells.text(name);
    if (value !== undefined) map[name.slice('resource_tags_'.length)] = value;
  }
  return map;
}

export const awsCurMapper: BillMapper = {
  format: 'aws-cur',
  amountOf: (cells) => cells.amount(['line_item_unblended_cost'], ['line_item_currency_code']),
  prepare(fields) {
    const out: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(fields)) out[cur2ColumnName(name)] = value;
    return out;
  },
  start(columns) {
    const missing = [
      'line_item_unblended_cost',
      'line_item_line_item_type',
      'line_item_usage_start_date',
    ].filter((c) => !columns.includes(c));
    return missing.length ? { fatal: `not an AWS CUR export: no ${missing.join(', ')} column` } : {};
  },
  map(cells) {
    const currency = cells.text('line_item_currency_code') ?? 'USD';
    const unblendedText = cells.required('line_item_unblended_cost');
    if (currency.toUpperCase() !== 'USD')
      rejectLine(`line_item_currency_code is ${currency}, not USD`, unblendedText, currency);
    const type = cells.required('line_item_line_item_type');
    const rule = LINE_ITEM_RULES[type];
    if (!rule)
      rejectLine(
        `line_item_line_item_type ${JSON.stringify(type)} is not one this importer knows`,
        unblendedText,
      );
    const billedUsd = billMoney(unblendedText, 'line_item_unblended_cost');
    const listText = cells.text('pricing_public_on_demand_cost');
    // Fees, taxes and credits have no public price: their list cost is what they bill.
    const listUsd =
      listText !== undefined && rule.category === 'Usage'
        ? billMoney(listText, 'pricing_public_on_demand_cost')
        : billedUsd;
    const start = cells.text('line_item_usage_start_date');
    const end = cells.text('line_item_usage_end_date') ?? start;
    if (start === undefined || end === undefined)
      throw new LineRejected('line_item_usage_start_date is empty');
    const row: BillRowDraft = {
      ProviderName: 'AWS',
      BillingAccountId: cells.text('bill_payer_account_id') ?? '',
      SubAccountId: cells.text('line_item_usage_account_id', 'bill_payer_account_id') ?? '',
      ChargeCategory: rule.category,
      PricingCategory: pricingOf(cells, rule),
      ChargePeriodStart: billTimeText(start, 'line_item_usage_start_date'),
      ChargePeriodEnd: billTimeText(end, 'line_item_usage_end_date'),
      BilledCost: billedUsd,
      EffectiveCost: rule.effective(cells, billedUsd),
      ListCost: listUsd,
      ResourceId: cells.text('line_item_resource_id'),
      RegionId: cells.text('product_region_code', 'product_region'),
      ServiceName: cells.text('product_servicecode', 'line_item_product_code'),
      SkuPriceId: cells.text('pricing_rate_id', 'product_sku'),
      ChargeDescription: cells.text('line_item_line_item_description'),
      ConsumedQuantity: billNumber(cells.text('line_item_usage_amount'), 'line_item_usage_amount'),
      ConsumedUnit: cells.text('pricing_unit'),
      CommitmentDiscountId: cells.text('savings_plan_savings_plan_a_r_n', 'reservation_reservation_a_r_n'),
      CommitmentDiscountStatus: rule.status,
      Tags: tagsOf(cells),
    };
    return [row];
  },
};
