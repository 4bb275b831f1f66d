// The commitment advisor: from hourly usage of a GPU family, the reserved or savings-plan commitment that minimizes expected cost.
import { z } from 'zod';
import { divRoundHalfEven, type MicroUsd } from '../domain/money.ts';
import type { PriceQuote } from '../domain/price.ts';
import { parseOrThrow } from '../domain/validation.ts';

export const COMMITMENT_KINDS = ['reserved-instances', 'savings-plan'] as const;
export type CommitmentKind = (typeof COMMITMENT_KINDS)[number];

export interface CommitmentOffer {
  kind: CommitmentKind;
  termYears: 1 | 3;
  /** Effective price of one committed instance-hour (upfront spread over the term). */
  usdPerHour: MicroUsd;
  source: PriceQuote['source'];
}

export interface CommitmentInput {
  family: string;
  /** Instances in use, one figure per hour, 30–90 days of history. */
  usageHourly: readonly number[];
  onDemandUsdPerHour: MicroUsd;
  offers: readonly CommitmentOffer[];
}

export interface CommitmentAdvice {
  offer: CommitmentOffer;
  /** Reserved instances to hold; for a savings plan, the same level as its hourly commitment. */
  committedInstances: number;
  /** Savings plan: the hourly spend committed to (committed instances × committed rate). */
  commitmentUsdPerHour: MicroUsd;
  /** Usage quantile the closed form commits at: 1 − committed / on-demand price. */
  targetQuantile: number;
  /** The commitment pays when it is used more than this share of its hours (committed / on-demand price). */
  breakEvenUtilization: number;
  /** Share of the usage the commitment covers. */
  coverage: number;
  /** Share of committed hours that usage fills. */
  utilization: number;
  /** Over the usage history: cost with this commitment, cost all on-demand, and the difference. */
  costUsd: MicroUsd;
  onDemandCostUsd: MicroUsd;
  savingUsd: MicroUsd;
}

export interface CommitmentReport {
  family: string;
  hours: number;
  best: CommitmentAdvice | undefined;
  /** Every offer's best level, best first. */
  candidates: CommitmentAdvice[];
}

const MIN_HOURS = 30 * 24;
const MAX_HOURS = 90 * 24;
// Usage is priced in thousandths of an instance-hour: exact bigint money from fractional averages.
const MILLI = 1000n;

export const zCommitmentUsage = z.object({
  family: z.string().min(1),
  usageHourly: z
    .array(z.number().finite().min(0))
    .min(MIN_HOURS, `needs at least 30 days (${MIN_HOURS}) of hourly usage`)
    .max(MAX_HOURS, `at most 90 days (${MAX_HOURS}) of hourly usage`),
});

function priceOf(instanceHours: number, usdPerHour: MicroUsd): MicroUsd {
  return divRoundHalfEven(BigInt(Math.round(instanceHours * Number(MILLI))) * usdPerHour, MILLI);
}

/** Cost of the history at commitment level `k`: k every hour at the committed rate, the excess on demand. */
export function costAtLevel(
  usage: readonly number[],
  k: number,
  committedUsdPerHour: MicroUsd,
  onDemandUsdPerHour: MicroUsd,
): MicroUsd {
  let excess = 0;
  for (const u of usage) excess += Math.max(0, u - k);
  return priceOf(k * usage.length, committedUsdPerHour) + priceOf(excess, onDemandUsdPerHour);
}

/** The empirical quantile (lower: the order statistic at ⌈q·n⌉) of a sample. */
export function usageQuantile(usage: readonly number[], q: number): number {
  const sorted = [...usage].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1] ?? 0;
}

function adviseOne(input: CommitmentInput, offer: CommitmentOffer): CommitmentAdvice {
  const usage = input.usageHourly;
  const ratio = Number(offer.usdPerHour) / Number(input.onDemandUsdPerHour);
  // The cost is convex and piecewise linear in k with breaks at observed usage levels; reserved instances
  // come whole, so candidates are whole numbers around them. Scanning them all finds the minimum exactly.
  const levels = new Set<number>([0]);
  for (const u of usage) {
    if (offer.kind === 'reserved-instances') {
      levels.add(Math.floor(u));
      levels.add(Math.ceil(u));
    } else levels.add(u);
  }
  let best = { k: 0, cost: costAtLevel(usage, 0, offer.usdPerHour, input.onDemandUsdPerHour) };
  for (const k of [...levels].sort((a, b) => a - b)) {
    const cost = costAtLevel(usage, k, offer.usdPerHour, input.onDemandUsdPerHour);
    if (cost < best.cost) best = { k, cost };
  }
  const total = usage.reduce((a, b) => a + b, 0);
  const covered = usage.reduce((a, u) => a + Math.min(u, best.k), 0);
  const onDemandCostUsd = priceOf(total, input.onDemandUsdPerHour);
  return {
    offer,
    committedInstances: best.k,
    commitmentUsdPerHour: priceOf(best.k, offer.usdPerHour),
    targetQuantile: Math.max(0, 1 - ratio),
    breakEvenUtilization: ratio,
    coverage: total > 0 ? covered / total : 0,
    utilization: best.k > 0 ? covered / (best.k * usage.length) : 0,
    costUsd: best.cost,
    onDemandCostUsd,
    savingUsd: onDemandCostUsd - best.cost,
  };
}

/**
 * For each offer, the commitment level that minimizes the cost of the usage history (the empirical stand-in
 * for expected cost): with linear prices that is the usage quantile 1 − committed/on-demand, since one more
 * committed instance pays exactly when usage exceeds it more often than that ratio of hours.
 */
export function adviseCommitment(input: CommitmentInput): CommitmentReport {
  const usage = parseOrThrow(
    zCommitmentUsage,
    { family: input.family, usageHourly: input.usageHourly },
    'commitment usage',
  );
  if (input.onDemandUsdPerHour <= 0n)
    throw new RangeError(`${input.family}: on-demand price must be positive`);
  const candidates = input.offers
    .filter((o) => o.usdPerHour > 0n && o.usdPerHour < input.onDemandUsdPerHour)
    .map((o) => adviseOne({ ...input, usageHourly: usage.usageHourly }, o))
    .sort((a, b) => (a.savingUsd > b.savingUsd ? -1 : a.savingUsd < b.savingUsd ? 1 : 0));
  return {
    family: input.family,
    hours: usage.usageHourly.length,
    best: candidates[0] && candidates[0].savingUsd > 0n ? candidates[0] : undefined,
    candidates,
  };
}

/** Offers from price quotes: reserved quotes that carry a term become reserved-instance offers. */
export function commitmentOffersFromQuotes(quotes: readonly PriceQuote[], poolId: string): CommitmentOffer[] {
  return quotes
    .filter((q) => q.poolId === poolId && q.option === 'reserved' && q.termYears !== undefined)
    .map((q) => ({
      kind: 'reserved-instances',
      termYears: q.termYears!,
      usdPerHour: q.usdPerHour,
      source: q.source,
    }));
}
