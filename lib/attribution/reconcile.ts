// Reconciles attributed cost with the provider's bill per day and account; the variance is split into parts that sum to it exactly.
import type { AttributionRow } from '../domain/attribution.ts';
import { makeEvent, type DomainEvent } from '../domain/events.ts';
import { formatUsdForDisplay, type MicroUsd } from '../domain/money.ts';
import { DAY_MS, dayStart, parseRfc3339, toRfc3339, utcDate } from '../domain/time.ts';
import type { BillRow } from './bills/bill-row.ts';
import { isResourceUsage, resourceKeys } from './bills/effective-rates.ts';

export interface VarianceParts {
  /** Usage the bill has for resources nothing was attributed to (storage, network, nodes the optimizer does not see). */
  unattributedResourcesUsd: MicroUsd;
  /** Commitments paid for and not used (Savings Plan or reservation hours nobody ran). */
  unusedCommitmentsUsd: MicroUsd;
  /** Attributed resources: the bill's list cost less the attributed list cost (hours or quantities that differ). */
  usageDifferenceUsd: MicroUsd;
  /** Attributed resources: the bill's discount off list less the attributed one (Savings Plans, reservations, negotiated rates). */
  priceDifferenceUsd: MicroUsd;
  creditsUsd: MicroUsd;
  taxUsd: MicroUsd;
  adjustmentsUsd: MicroUsd;
  /** Commitment fees and other purchases, at their amortized (effective) cost. */
  purchasesUsd: MicroUsd;
  /** Attributed to resources the bill does not have (negative: it lowers the bill's side). */
  notInBillUsd: MicroUsd;
}

export const VARIANCE_PART_LABELS: Record<keyof VarianceParts, string> = {
  unattributedResourcesUsd: 'unattributed resources',
  unusedCommitmentsUsd: 'unused commitments',
  usageDifferenceUsd: 'usage differences',
  priceDifferenceUsd: 'price differences',
  creditsUsd: 'credits',
  taxUsd: 'tax',
  adjustmentsUsd: 'adjustments',
  purchasesUsd: 'purchases',
  notInBillUsd: 'attributed but not billed',
};

export interface DayReconciliation {
  day: string;
  accountId: string;
  periodStart: string;
  periodEnd: string;
  attributedUsd: MicroUsd;
  /** The bill's effective (amortized) cost: what attribution is comparable to. */
  billedUsd: MicroUsd;
  /** What the invoice charges for the same lines (commitment fees when paid, not amortized). */
  invoicedUsd: MicroUsd;
  /** billedUsd − attributedUsd; always the sum of the parts. */
  varianceUsd: MicroUsd;
  variancePct: number;
  parts: VarianceParts;
  overThreshold: boolean;
}

export interface Reconciliation {
  fromMs: number;
  toMs: number;
  thresholdPct: number;
  days: DayReconciliation[];
  /** Attributed cost outside the bill's providers (on-prem, other clouds): not reconciled. */
  outOfScopeUsd: MicroUsd;
}

/** Accounts for attribution rows no bill line names. */
export const UNMATCHED_ACCOUNT = '(not in bill)';

const PROVIDER_OF_BILL: Record<string, string> = {
  aws: 'aws',
  'amazon web services': 'aws',
  microsoft: 'azure',
  azure: 'azure',
  'google cloud': 'gcp',
  google: 'gcp',
  gcp: 'gcp',
};

export function billProvider(row: Pick<BillRow, 'ProviderName'>): string {
  const name = row.ProviderName.toLowerCase();
  return PROVIDER_OF_BILL[name] ?? name;
}

function attributionProvider(row: AttributionRow): string {
  return row.Tags.provider ?? row.x_PoolId.split(':')[0] ?? '';
}

function emptyParts(): VarianceParts {
  return {
    unattributedResourcesUsd: 0n,
    unusedCommitmentsUsd: 0n,
    usageDifferenceUsd: 0n,
    priceDifferenceUsd: 0n,
    creditsUsd: 0n,
    taxUsd: 0n,
    adjustmentsUsd: 0n,
    purchasesUsd: 0n,
    notInBillUsd: 0n,
  };
}

export function sumParts(parts: VarianceParts): MicroUsd {
  return Object.values(parts).reduce((a, b) => a + b, 0n);
}

interface Side {
  effectiveUsd: MicroUsd;
  listUsd: MicroUsd;
}

interface Bucket {
  day: number;
  accountId: string;
  attributed: Map<string, Side>;
  billed: Map<string, Side>;
  parts: VarianceParts;
  attributedUsd: MicroUsd;
  billedUsd: MicroUsd;
  invoicedUsd: MicroUsd;
}

function add(map: Map<string, Side>, key: string, effectiveUsd: MicroUsd, listUsd: MicroUsd) {
  const have = map.get(key) ?? { effectiveUsd: 0n, listUsd: 0n };
  map.set(key, { effectiveUsd: have.effectiveUsd + effectiveUsd, listUsd: have.listUsd + listUsd });
}

function pctOf(varianceUsd: MicroUsd, billedUsd: MicroUsd): number {
  const abs = (v: bigint) => (v < 0n ? -v : v);
  if (billedUsd === 0n) return varianceUsd === 0n ? 0 : 100;
  return Number((abs(varianceUsd) * 10_000n) / abs(billedUsd)) / 100;
}

export interface ReconcileInput {
  attribution: readonly AttributionRow[];
  bill: readonly BillRow[];
  fromMs: number;
  toMs: number;
  /** A day and account whose |variance| is above this share of its bill is flagged (and alerted). */
  thresholdPct: number;
}

/** Compares, per UTC day (of each line's ChargePeriodStart) and account, what was attributed with what was billed. */
export function reconcile(input: ReconcileInput): Reconciliation {
  const inRange = (iso: string) => {
    const ms = parseRfc3339(iso);
    return ms >= input.fromMs && ms < input.toMs;
  };
  // Which bill resource (and account) each name stands for.
  const canonical = new Map<string, { resource: string; accountId: string }>();
  const providers = new Set<string>();
  for (const row of input.bill) {
    providers.add(billProvider(row));
    if (!row.ResourceId) continue;
    for (const key of resourceKeys(row)) {
      if (!canonical.has(key))
        canonical.set(key, { resource: row.ResourceId.toLowerCase(), accountId: row.SubAccountId });
    }
  }
  const buckets = new Map<string, Bucket>();
  const bucket = (iso: string, accountId: string): Bucket => {
    const day = dayStart(parseRfc3339(iso));
    const key = `${day}|${accountId}`;
    let b = buckets.get(key);
    if (!b) {
      b = {
        day,
        accountId,
        attributed: new Map(),
        billed: new Map(),
        parts: emptyParts(),
        attributedUsd: 0n,
        billedUsd: 0n,
        invoicedUsd: 0n,
      };
      buckets.set(key, b);
    }
    return b;
  };

  let outOfScopeUsd = 0n;
  for (const row of input.attribution) {
    if (!inRange(row.ChargePeriodStart)) continue;
    if (!providers.has(attributionProvider(row))) {
      outOfScopeUsd += row.EffectiveCost;
      continue;
    }
    const match = canonical.get(row.ResourceId.toLowerCase());
    const b = bucket(row.ChargePeriodStart, match?.accountId ?? UNMATCHED_ACCOUNT);
    b.attributedUsd += row.EffectiveCost;
    add(b.attributed, match?.resource ?? row.ResourceId.toLowerCase(), row.EffectiveCost, row.ListCost);
  }

  for (const row of input.bill) {
    if (!inRange(row.ChargePeriodStart)) continue;
    const b = bucket(row.ChargePeriodStart, row.SubAccountId);
    b.billedUsd += row.EffectiveCost;
    b.invoicedUsd += row.BilledCost;
    if (isResourceUsage(row)) add(b.billed, row.ResourceId!.toLowerCase(), row.EffectiveCost, row.ListCost);
    else if (row.ChargeCategory === 'Usage' && row.CommitmentDiscountStatus === 'Unused')
      b.parts.unusedCommitmentsUsd += row.EffectiveCost;
    else if (row.ChargeCategory === 'Usage') b.parts.unattributedResourcesUsd += row.EffectiveCost;
    else if (row.ChargeCategory === 'Credit') b.parts.creditsUsd += row.EffectiveCost;
    else if (row.ChargeCategory === 'Tax') b.parts.taxUsd += row.EffectiveCost;
    else if (row.ChargeCategory === 'Adjustment') b.parts.adjustmentsUsd += row.EffectiveCost;
    else b.parts.purchasesUsd += row.EffectiveCost;
  }

  const days: DayReconciliation[] = [];
  for (const b of buckets.values()) {
    const parts = b.parts;
    for (const [resource, billed] of b.billed) {
      const attributed = b.attributed.get(resource);
      if (!attributed) {
        parts.unattributedResourcesUsd += billed.effectiveUsd;
        continue;
      }
      parts.usageDifferenceUsd += billed.listUsd - attributed.listUsd;
      parts.priceDifferenceUsd +=
        billed.effectiveUsd - billed.listUsd - (attributed.effectiveUsd - attributed.listUsd);
    }
    for (const [resource, attributed] of b.attributed)
      if (!b.billed.has(resource)) parts.notInBillUsd -= attributed.effectiveUsd;
    const varianceUsd = b.billedUsd - b.attributedUsd;
    const variancePct = pctOf(varianceUsd, b.billedUsd);
    days.push({
      day: utcDate(b.day),
      accountId: b.accountId,
      periodStart: toRfc3339(b.day),
      periodEnd: toRfc3339(b.day + DAY_MS),
      attributedUsd: b.attributedUsd,
      billedUsd: b.billedUsd,
      invoicedUsd: b.invoicedUsd,
      varianceUsd,
      variancePct,
      parts,
      overThreshold: variancePct > input.thresholdPct,
    });
  }
  days.sort((a, b) => (a.day === b.day ? (a.accountId < b.accountId ? -1 : 1) : a.day < b.day ? -1 : 1));
  return { fromMs: input.fromMs, toMs: input.toMs, thresholdPct: input.thresholdPct, days, outOfScopeUsd };
}

/** One line naming every non-zero part, largest first: what a person reads to see where the difference is. */
export function explainVariance(day: DayReconciliation): string {
  const parts = (Object.keys(day.parts) as (keyof VarianceParts)[])
    .filter((k) => day.parts[k] !== 0n)
    .sort((a, b) => {
      const x = day.parts[a] < 0n ? -day.parts[a] : day.parts[a];
      const y = day.parts[b] < 0n ? -day.parts[b] : day.parts[b];
      return x === y ? 0 : x > y ? -1 : 1;
    })
    .map((k) => `${VARIANCE_PART_LABELS[k]} ${signed(day.parts[k])}`);
  return (
    `bill ${formatUsdForDisplay(day.billedUsd)} vs attributed ${formatUsdForDisplay(day.attributedUsd)} ` +
    `(${signed(day.varianceUsd)}, ${day.variancePct}%)` +
    (parts.length ? `: ${parts.join(', ')}` : '')
  );
}

function signed(usd: MicroUsd): string {
  return `${usd < 0n ? '−' : '+'}${formatUsdForDisplay(usd < 0n ? -usd : usd)}`;
}

/** A Budget Alert for every day and account over the threshold. */
export function budgetAlerts(result: Reconciliation): DomainEvent[] {
  return result.days
    .filter((d) => d.overThreshold)
    .map((d) =>
      makeEvent('Budget Alert', {
        schemaVersion: '1',
        scope: `account:${d.accountId}`,
        periodStart: d.periodStart,
        periodEnd: d.periodEnd,
        attributedUsd: d.attributedUsd,
        billedUsd: d.billedUsd,
        varianceUsd: d.varianceUsd,
        thresholdPct: result.thresholdPct,
        explanation: explainVariance(d),
      }),
    );
}

/** The reconciliation as text lines: the CLI prints them, the weekly report can include them. */
export function reconciliationLines(result: Reconciliation): string[] {
  const lines = result.days.map(
    (d) => `${d.day}  ${d.accountId}  ${d.overThreshold ? 'OVER ' : ''}${explainVariance(d)}`,
  );
  if (result.outOfScopeUsd !== 0n)
    lines.push(
      `attributed outside the bill's providers (not reconciled): ${formatUsdForDisplay(result.outOfScopeUsd)}`,
    );
  return lines;
}
