// Savings at the bill's effective rates: a ledger counterfactual priced at list is scaled by what the customer really pays.
import type { LedgerEntry } from '../domain/ledger.ts';
import { avoidedCostUsd } from '../domain/ledger.ts';
import { divRoundHalfEven, type MicroUsd } from '../domain/money.ts';
import type { BillRow } from './bills/bill-row.ts';
import { isResourceUsage, resourceKeys } from './bills/effective-rates.ts';

/** A discount as the bill shows it: what usage cost after discounts over what it would have cost at list. */
export interface BillDiscount {
  effectiveUsd: MicroUsd;
  listUsd: MicroUsd;
  /** Whose bill lines it comes from: the action's own resource, or the whole bill's resource usage. */
  source: 'resource' | 'bill' | 'none';
}

export interface BillSaving {
  entryId: string;
  listSavingUsd: MicroUsd;
  billSavingUsd: MicroUsd;
  discount: BillDiscount;
  /** The entry with its counterfactual (and, for rebalances, its actual cost) at the bill's rates. */
  entry: LedgerEntry;
}

interface Totals {
  effectiveUsd: MicroUsd;
  listUsd: MicroUsd;
}

/**
 * Rescales every entry by the discount the bill shows for its target (or, lacking one, for all resource usage).
 * A ratio above 1 (billed above list) is capped at 1, so a claim is never raised by the bill, only lowered.
 * The cost with the action is scaled only for rebalances (on-demand both sides, under the same discount);
 * for the other levers it is a spot price, a commitment fee or nothing, which a usage discount does not touch.
 */
export function savingsAtBillRates(entries: readonly LedgerEntry[], bill: readonly BillRow[]): BillSaving[] {
  const byResource = new Map<string, Totals>();
  const all: Totals = { effectiveUsd: 0n, listUsd: 0n };
  for (const row of bill) {
    if (!isResourceUsage(row) || row.ListCost <= 0n) continue;
    all.effectiveUsd += row.EffectiveCost;
    all.listUsd += row.ListCost;
    for (const key of resourceKeys(row)) {
      const t = byResource.get(key) ?? { effectiveUsd: 0n, listUsd: 0n };
      t.effectiveUsd += row.EffectiveCost;
      t.listUsd += row.ListCost;
      byResource.set(key, t);
    }
  }
  return entries.map((entry) => {
    const own = byResource.get(entry.target.toLowerCase());
    const discount: BillDiscount = own
      ? { ...own, source: 'resource' }
      : all.listUsd > 0n
        ? { ...all, source: 'bill' }
        : { effectiveUsd: 1n, listUsd: 1n, source: 'none' };
    const capped = discount.effectiveUsd > discount.listUsd || discount.effectiveUsd < 0n;
    const scale = (usd: MicroUsd) =>
      capped ? usd : divRoundHalfEven(usd * discount.effectiveUsd, discount.listUsd);
    const adjusted: LedgerEntry = {
      ...entry,
      counterfactualCostUsd: scale(entry.counterfactualCostUsd),
      actualCostUsd: entry.lever === 'rebalance' ? scale(entry.actualCostUsd) : entry.actualCostUsd,
    };
    return {
      entryId: entry.entryId,
      listSavingUsd: avoidedCostUsd(entry),
      billSavingUsd: avoidedCostUsd(adjusted),
      discount,
      entry: adjusted,
    };
  });
}
