// Azure Cost Management cost details exports (EA and MCA, actual or amortized) to FOCUS rows, one per line.
// Azure's FOCUS export needs no mapper of its own: focus.ts reads it, with its x_*InUsd columns for other currencies.
import { DAY_MS, toRfc3339 } from '../../domain/time.ts';
import type { BillRowDraft } from './bill-row.ts';
import {
  billMoney,
  billNumber,
  billProduct,
  billTags,
  billTime,
  rejectLine,
  type Cells,
  type FineUsd,
} from './fields.ts';
import type { BillMapper } from './mapper.ts';

type ChargeCategory = BillRowDraft['ChargeCategory'];

const CHARGE_TYPES: Record<string, { category: ChargeCategory; status?: 'Unused' }> = {
  usage: { category: 'Usage' },
  purchase: { category: 'Purchase' },
  unusedreservation: { category: 'Usage', status: 'Unused' },
  unusedsavingsplan: { category: 'Usage', status: 'Unused' },
  refund: { category: 'Adjustment' },
  roundingadjustment: { category: 'Adjustment' },
  tax: { category: 'Tax' },
};

const PRICING_MODELS: Record<string, NonNullable<BillRowDraft['PricingCategory']>> = {
  ondemand: 'Standard',
  reservation: 'Committed',
  savingsplan: 'Committed',
  spot: 'Dynamic',
};

/** Cost columns across Azure's schema versions: MCA and newer EA, older EA, the oldest usage details. */
const COST_COLUMNS = ['CostInBillingCurrency', 'Cost', 'PreTaxCost'];
const USD_COST_COLUMNS = ['CostInUsd', 'CostInUSD'];
const CURRENCY_COLUMNS = ['BillingCurrencyCode', 'BillingCurrency', 'Currency'];

/** Public pay-as-you-go cost of the line: PayGPrice × Quantity, else UnitPrice × Quantity, else what it costs. */
function listCostOf(cells: Cells, category: ChargeCategory, costUsd: FineUsd): FineUsd {
  if (category !== 'Usage') return costUsd;
  const quantity = cells.text('Quantity');
  if (quantity === undefined) return costUsd;
  for (const price of ['PayGPrice', 'UnitPrice']) {
    const text = cells.text(price);
    if (text !== undefined && Number(text) > 0) return billProduct(quantity, text, price);
  }
  return costUsd;
}

export const azureCostDetailsMapper: BillMapper = {
  format: 'azure-cost-details',
  amountOf: (cells) => cells.amount(COST_COLUMNS, CURRENCY_COLUMNS),
  start(columns) {
    const lower = new Set(columns.map((c) => c.toLowerCase()));
    const missing = [];
    if (!COST_COLUMNS.some((c) => lower.has(c.toLowerCase()))) missing.push(COST_COLUMNS.join(' or '));
    if (!lower.has('date') && !lower.has('usagedatetime')) missing.push('Date');
    if (missing.length) return { fatal: `not an Azure cost details export: no ${missing.join(', ')} column` };
    return {};
  },
  map(cells) {
    const costColumn = COST_COLUMNS.find((c) => cells.has(c))!;
    const costText = cells.text(costColumn) ?? '0';
    const currency = cells.text(...CURRENCY_COLUMNS) ?? 'USD';
    let costUsd: FineUsd;
    if (currency.toUpperCase() === 'USD') costUsd = billMoney(costText, costColumn);
    else {
      const usd = cells.text(...USD_COST_COLUMNS);
      if (usd === undefined)
        rejectLine(
          `billing currency is ${currency}, not USD, and the line has no CostInUsd`,
          costText,
          currency,
        );
      costUsd = billMoney(usd, 'CostInUsd');
    }
    const chargeType = cells.text('ChargeType') ?? 'Usage';
    const charge = CHARGE_TYPES[chargeType.toLowerCase()];
    if (!charge)
      rejectLine(
        `ChargeType ${JSON.stringify(chargeType)} is not one this importer knows`,
        costText,
        currency,
      );
    const dayMs = billTime(cells.text('Date', 'UsageDateTime') ?? '', 'Date');
    const model = cells.text('PricingModel')?.toLowerCase();
    const row: BillRowDraft = {
      ProviderName: 'Microsoft',
      BillingAccountId: cells.text('BillingAccountId') ?? '',
      SubAccountId: cells.text('SubscriptionId', 'SubscriptionGuid', 'BillingAccountId') ?? '',
      ChargeCategory: charge.category,
      PricingCategory: model
        ? (PRICING_MODELS[model] ?? 'Other')
        : charge.category === 'Usage'
          ? 'Standard'
          : undefined,
      // Cost details are daily: one row covers the UTC day it names.
      ChargePeriodStart: toRfc3339(dayMs),
      ChargePeriodEnd: toRfc3339(dayMs + DAY_MS),
      BilledCost: costUsd,
      EffectiveCost: costUsd,
      ListCost: listCostOf(cells, charge.category, costUsd),
      ResourceId: cells.text('ResourceId', 'InstanceId', 'InstanceName'),
      RegionId: cells.text('ResourceLocation'),
      ServiceName: cells.text('MeterCategory', 'ConsumedService'),
      SkuPriceId: cells.text('MeterId'),
      ChargeDescription: cells.text('Product', 'ProductName', 'MeterName'),
      ConsumedQuantity: billNumber(cells.text('Quantity'), 'Quantity'),
      ConsumedUnit: cells.text('UnitOfMeasure'),
      CommitmentDiscountId: cells.text('benefitId', 'ReservationId'),
      CommitmentDiscountStatus:
        charge.status ??
        (charge.category === 'Usage' && (model === 'reservation' || model === 'savingsplan')
          ? 'Used'
          : undefined),
      Tags: billTags(cells.raw('Tags')),
    };
    return [row];
  },
};
