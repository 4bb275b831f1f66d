// GCP Cloud Billing export rows (BigQuery, as JSON lines or flattened to CSV) to FOCUS rows, credits included.
import { LineRejected, type BillRowDraft } from './bill-row.ts';
import {
  billMoney,
  billMoneyOf,
  billNumber,
  billTags,
  billTimeText,
  parsePythonLiteral,
  rejectLine,
  type FineUsd,
} from './fields.ts';
import type { BillMapper } from './mapper.ts';

const COST_TYPES: Record<string, BillRowDraft['ChargeCategory']> = {
  regular: 'Usage',
  tax: 'Tax',
  adjustment: 'Adjustment',
  'rounding error': 'Adjustment',
  rounding_error: 'Adjustment',
};

/**
 * Credits that are a lower price for the usage itself (committed use, sustained use, negotiated and reseller
 * discounts) are folded into the line's cost; promotions, free tier and credits of unknown type stay Credit rows.
 */
const PRICE_CREDIT_TYPES = new Set([
  'COMMITTED_USAGE_DISCOUNT',
  'COMMITTED_USAGE_DISCOUNT_DOLLAR_BASE',
  'SUSTAINED_USAGE_DISCOUNT',
  'DISCOUNT',
  'SUBSCRIPTION_BENEFIT',
  'RESELLER_MARGIN',
  'FEE_UTILIZATION_OFFSET',
]);

interface Credit {
  name: string;
  type: string;
  amountUsd: FineUsd;
}

/** BigQuery nests records (service.description); CSV flattenings already use the dotted names. */
export function flattenRecord(fields: Record<string, unknown>, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(fields)) {
    const key = prefix ? `${prefix}.${name}` : name;
    if (value && typeof value === 'object' && !Array.isArray(value))
      Object.assign(out, flattenRecord(value as Record<string, unknown>, key));
    else out[key] = value;
  }
  return out;
}

function creditsOf(value: unknown): Credit[] {
  let list: unknown = value;
  if (typeof value === 'string') {
    const text = value.trim();
    if (text === '' || text === '[]') return [];
    try {
      list = JSON.parse(text);
    } catch {
      list = parsePythonLiteral(text);
    }
  }
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new LineRejected('credits is not a list of credits');
  return list.map((c: unknown, i) => {
    if (!c || typeof c !== 'object') throw new LineRejected(`credits[${i}] is not a credit`);
    const credit = c as Record<string, unknown>;
    return {
      name: String(credit.full_name ?? credit.name ?? 'credit'),
      type: typeof credit.type === 'string' ? credit.type : 'UNKNOWN',
      amountUsd: billMoneyOf(credit.amount, `credits[${i}].amount`),
    };
  });
}

export const gcpBillingMapper: BillMapper = {
  format: 'gcp-billing',
  prepare: (fields) => flattenRecord(fields),
  amountOf: (cells) => cells.amount(['cost'], ['currency']),
  start(columns) {
    const missing = ['cost', 'usage_start_time', 'usage_end_time'].filter((c) => !columns.includes(c));
    return missing.length ? { fatal: `not a GCP billing export: no ${missing.join(', ')} column` } : {};
  },
  map(cells) {
    const costRaw = cells.raw('cost');
    const costText = costRaw === undefined || costRaw === null ? undefined : String(costRaw);
    const currency = cells.text('currency') ?? 'USD';
    if (currency.toUpperCase() !== 'USD') rejectLine(`currency is ${currency}, not USD`, costText, currency);
    if (costText === undefined || costText.trim() === '') throw new LineRejected('cost is empty');
    const costType = (cells.text('cost_type') ?? 'regular').toLowerCase();
    const category = COST_TYPES[costType];
    if (!category)
      rejectLine(`cost_type ${JSON.stringify(costType)} is not one this importer knows`, costText);
    const costUsd = billMoney(costText, 'cost');
    const credits = creditsOf(cells.raw('credits'));
    const priceCreditsUsd = credits
      .filter((c) => PRICE_CREDIT_TYPES.has(c.type))
      .reduce((a, c) => a + c.amountUsd, 0n);
    const listText = cells.text('cost_at_list');
    const start = billTimeText(cells.required('usage_start_time'), 'usage_start_time');
    const end = billTimeText(cells.required('usage_end_time'), 'usage_end_time');
    const resourceName = cells.text('resource.name');
    const base: Omit<BillRowDraft, 'ChargeCategory' | 'BilledCost' | 'EffectiveCost' | 'ListCost'> = {
      ProviderName: 'Google Cloud',
      BillingAccountId: cells.text('billing_account_id') ?? '',
      SubAccountId: cells.text('project.id', 'billing_account_id') ?? '',
      ChargePeriodStart: start,
      ChargePeriodEnd: end,
      ResourceId: cells.text('resource.global_name', 'resource.name'),
      RegionId: cells.text('location.region', 'location.location'),
      ServiceName: cells.text('service.description'),
      SkuPriceId: cells.text('sku.id'),
      ChargeDescription: cells.text('sku.description'),
      ConsumedQuantity: billNumber(
        cells.text('usage.amount_in_pricing_units', 'usage.amount'),
        'usage.amount_in_pricing_units',
      ),
      ConsumedUnit: cells.text('usage.pricing_unit', 'usage.unit'),
      Tags: { ...billTags(cells.raw('labels')), ...(resourceName ? { x_ResourceName: resourceName } : {}) },
    };
    const committed = credits.some((c) => c.type.startsWith('COMMITTED_USAGE_DISCOUNT'));
    const line: BillRowDraft = {
      ...base,
      ChargeCategory: category,
      PricingCategory: category === 'Usage' ? (committed ? 'Committed' : 'Standard') : undefined,
      BilledCost: costUsd + priceCreditsUsd,
      EffectiveCost: costUsd + priceCreditsUsd,
      ListCost: listText !== undefined ? billMoney(listText, 'cost_at_list') : costUsd,
    };
    const creditRows: BillRowDraft[] = credits
      .filter((c) => !PRICE_CREDIT_TYPES.has(c.type))
      .map((c) => ({
        ...base,
        ChargeCategory: 'Credit',
        BilledCost: c.amountUsd,
        EffectiveCost: c.amountUsd,
        ListCost: c.amountUsd,
        ChargeDescription: c.name,
        Tags: { ...base.Tags, x_CreditType: c.type },
      }));
    return [line, ...creditRows];
  },
};
