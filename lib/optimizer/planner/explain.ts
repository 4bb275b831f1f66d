// The short explanation a plan carries per pool: why this mix, what it costs, what the next-best choice would cost.
import { costForSeconds, formatUsdForDisplay, sumUsd, type MicroUsd } from '../../domain/money.ts';
import type { PoolExplanation } from '../../domain/plan.ts';
import type { PurchaseOption } from '../../domain/pool.ts';
import type { WorkloadClass } from '../../domain/workload.ts';
import type { PoolOffer } from './offers.ts';
import type { Period } from './periods.ts';

export type InstanceCounts = Record<PurchaseOption, number[]>;

const OPTIONS: readonly PurchaseOption[] = ['on-prem', 'reserved', 'spot', 'on-demand'];

/** What holding `counts[t]` instances at `usdPerHour` over the periods costs (quantity × price × hours). */
export function periodsCostUsd(
  usdPerHour: MicroUsd,
  counts: readonly number[],
  periods: readonly Period[],
): MicroUsd {
  return sumUsd(periods.map((p, t) => costForSeconds(usdPerHour * BigInt(counts[t] ?? 0), p.hours * 3600)));
}

/** Plan money for one option's line: on-prem is sunk (paid whether used or not), so the plan adds nothing for it. */
export function lineCostUsd(
  offer: PoolOffer,
  option: PurchaseOption,
  instances: number,
  period: Period,
): MicroUsd {
  if (option === 'on-prem') return 0n;
  return costForSeconds((offer.prices[option] ?? 0n) * BigInt(instances), period.hours * 3600);
}

export function explainPool(
  offer: PoolOffer,
  counts: InstanceCounts,
  periods: readonly Period[],
  offersById: ReadonlyMap<string, PoolOffer>,
  classes: readonly WorkloadClass[],
  spotCappedClasses: readonly string[],
): PoolExplanation {
  const costUsd = sumUsd(
    OPTIONS.flatMap((o) => periods.map((p, t) => lineCostUsd(offer, o, counts[o][t] ?? 0, p))),
  );
  const first = OPTIONS.filter((o) => (counts[o][0] ?? 0) > 0).map((o) => `${counts[o][0]} ${o}`);
  const peak = Math.max(0, ...periods.map((_, t) => OPTIONS.reduce((n, o) => n + (counts[o][t] ?? 0), 0)));
  const parts: string[] = [
    `${offer.pool.instanceType} (${offer.pool.gpusPerInstance}× ${offer.pool.gpuModel}, ${offer.pool.gpuMemoryGiB} GiB)`,
    `now ${first.length > 0 ? first.join(' + ') : 'nothing'}, at most ${peak} instance(s) over ${periods.reduce((h, p) => h + p.hours, 0)} h`,
    `serves ${offer.classIds.join(', ') || 'no class'}`,
  ];
  if (offer.onPremInstances > 0) parts.push(`on-prem first: ${offer.onPremInstances} node(s) are sunk cost`);
  if (offer.reservedInstances > 0)
    parts.push(`${offer.reservedInstances} reserved instance(s) paid whether used or not`);
  const spotUsed = counts.spot.some((n) => n > 0);
  if (spotUsed) {
    parts.push(
      `spot at ${formatUsdForDisplay(offer.prices.spot ?? 0n)}/h with ${offer.spotInterruptionRatePerHour} interruptions per instance-hour`,
    );
  }
  if (spotCappedClasses.length > 0)
    parts.push(`spot share limit reached for ${spotCappedClasses.join(', ')}`);
  parts.push(`costs ${formatUsdForDisplay(costUsd)}`);

  const alternative = nextBest(offer, counts, periods, offersById, classes);
  if (alternative)
    parts.push(`next best: ${alternative.text} at ${formatUsdForDisplay(alternative.costUsd)}`);
  return {
    poolId: offer.pool.id,
    text: `${parts.join('; ')}.`,
    costUsd,
    nextBestCostUsd: alternative?.costUsd ?? null,
  };
}

/**
 * The same GPU work bought another way: all on-demand in this pool, or on-demand in the cheapest other pool
 * (per unit of work) that serves every class this one serves, whichever is cheaper.
 */
function nextBest(
  offer: PoolOffer,
  counts: InstanceCounts,
  periods: readonly Period[],
  offersById: ReadonlyMap<string, PoolOffer>,
  classes: readonly WorkloadClass[],
): { text: string; costUsd: MicroUsd } | undefined {
  const work = periods.map(
    (_, t) =>
      OPTIONS.reduce((n, o) => n + (counts[o][t] ?? 0), 0) * offer.pool.gpusPerInstance * offer.throughput,
  );
  if (work.every((w) => w === 0)) return undefined;
  const candidates: { text: string; costUsd: MicroUsd }[] = [];
  const onlyOnDemand = OPTIONS.every((o) => o === 'on-demand' || counts[o].every((n) => n === 0));
  const here = offer.prices['on-demand'];
  if (here !== undefined && !onlyOnDemand) {
    const instances = work.map((w) => Math.ceil(w / (offer.pool.gpusPerInstance * offer.throughput) - 1e-9));
    candidates.push({
      text: 'all on-demand in this pool',
      costUsd: periodsCostUsd(here, instances, periods),
    });
  }
  const served = offer.classIds.filter((id) => classes.some((c) => c.id === id));
  let best: PoolOffer | undefined;
  let bestPerWork = Infinity;
  for (const other of offersById.values()) {
    const price = other.prices['on-demand'];
    if (other === offer || price === undefined || !served.every((id) => other.classIds.includes(id)))
      continue;
    const perWork = Number(price) / (other.pool.gpusPerInstance * other.throughput);
    if (perWork < bestPerWork) {
      best = other;
      bestPerWork = perWork;
    }
  }
  if (best) {
    const unit = best.pool.gpusPerInstance * best.throughput;
    const instances = work.map((w) => Math.ceil(w / unit - 1e-9));
    candidates.push({
      text: `on-demand in ${best.pool.id}`,
      costUsd: periodsCostUsd(best.prices['on-demand']!, instances, periods),
    });
  }
  return candidates.sort((a, b) => (a.costUsd < b.costUsd ? -1 : a.costUsd > b.costUsd ? 1 : 0))[0];
}
