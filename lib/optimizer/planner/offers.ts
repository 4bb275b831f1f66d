// What each pool can offer the plan (options, prices, limits, the fleet already in it) and which pools and classes must be solved together.
import { isLive, type FleetNode } from '../../domain/fleet.ts';
import type { MicroUsd } from '../../domain/money.ts';
import type { Pool, PurchaseOption } from '../../domain/pool.ts';
import { priceKey, type PriceQuote } from '../../domain/price.ts';
import { parseRfc3339 } from '../../domain/time.ts';
import { poolServesClass, type WorkloadClass } from '../../domain/workload.ts';
import { PlannerInputError, type PlannerInput } from './input.ts';

/** Options the plan decides how many instances to hold; reserved is a fixed count, not a decision. */
export const DECIDED_OPTIONS = ['on-prem', 'spot', 'on-demand'] as const;
export type DecidedOption = (typeof DECIDED_OPTIONS)[number];

const ON_PREM_PROVIDERS: readonly string[] = ['onprem', 'slurm'];

export interface PoolOffer {
  pool: Pool;
  index: number;
  throughput: number;
  /** Price per instance-hour per option offered (on-prem: the configured owning cost, or 0). */
  prices: Partial<Record<PurchaseOption, MicroUsd>>;
  spotInterruptionRatePerHour: number;
  onPremInstances: number;
  reservedInstances: number;
  /** Spot instances obtainable per hour of the horizon (Infinity = no known limit). */
  spotCapacityHourly: readonly number[] | undefined;
  /** Live instances per option now. */
  current: Record<PurchaseOption, number>;
  /** Launch times of live instances, per option, for the minimum lifetime. */
  launchedAtMs: Record<PurchaseOption, number[]>;
  classIds: string[];
}

function cheapestQuote(quotes: readonly PriceQuote[]): PriceQuote | undefined {
  return [...quotes].sort((a, b) =>
    a.usdPerHour < b.usdPerHour ? -1 : a.usdPerHour > b.usdPerHour ? 1 : 0,
  )[0];
}

export function buildOffers(input: PlannerInput): PoolOffer[] {
  const quotesByKey = new Map<string, PriceQuote[]>();
  for (const q of input.prices) {
    const key = priceKey(q.poolId, q.option);
    const list = quotesByKey.get(key);
    if (list) list.push(q);
    else quotesByKey.set(key, [q]);
  }
  const nodesByPool = new Map<string, FleetNode[]>();
  for (const n of input.fleet ?? []) {
    // A node under an interruption notice is already gone as far as planning is concerned.
    if (!isLive(n) || n.interruptionNoticeAt) continue;
    const list = nodesByPool.get(n.poolId);
    if (list) list.push(n);
    else nodesByPool.set(n.poolId, [n]);
  }
  const seen = new Set<string>();
  return input.pools.map((pool, index) => {
    if (seen.has(pool.id)) throw new PlannerInputError(`pools[${index}].id: duplicate pool id ${pool.id}`);
    seen.add(pool.id);
    const prices: Partial<Record<PurchaseOption, MicroUsd>> = {};
    let spotInterruptionRatePerHour = 0;
    for (const option of ['on-prem', 'reserved', 'spot', 'on-demand'] as const) {
      const quote = cheapestQuote(quotesByKey.get(priceKey(pool.id, option)) ?? []);
      if (!quote) continue;
      prices[option] = quote.usdPerHour;
      if (option === 'spot') spotInterruptionRatePerHour = quote.spotInterruptionRatePerHour ?? 0;
    }
    const isOnPrem = prices['on-prem'] !== undefined || ON_PREM_PROVIDERS.includes(pool.provider);
    if (isOnPrem) {
      if (pool.maxInstances === undefined)
        throw new PlannerInputError(`pools[${index}].maxInstances: on-prem pool ${pool.id} needs its size`);
      prices['on-prem'] ??= 0n;
    }
    const reservedInstances = input.reservedInstances?.[pool.id] ?? 0;
    if (reservedInstances > 0 && prices.reserved === undefined)
      throw new PlannerInputError(
        `reservedInstances.${pool.id}: ${reservedInstances} reserved instance(s) but no reserved price quote for the pool`,
      );
    const capacity = input.spotCapacity?.[pool.id];
    const spotCapacityHourly =
      capacity === undefined ? undefined : typeof capacity === 'number' ? [capacity] : capacity;
    const current = { 'on-prem': 0, reserved: 0, spot: 0, 'on-demand': 0 };
    const launchedAtMs: Record<PurchaseOption, number[]> = {
      'on-prem': [],
      reserved: [],
      spot: [],
      'on-demand': [],
    };
    for (const node of nodesByPool.get(pool.id) ?? []) {
      current[node.purchaseOption]++;
      if (node.launchedAt) launchedAtMs[node.purchaseOption].push(parseRfc3339(node.launchedAt));
    }
    const throughput = input.gpuThroughput?.[pool.gpuModel] ?? 1;
    if (!(throughput > 0))
      throw new PlannerInputError(`gpuThroughput.${pool.gpuModel}: must be > 0, got ${throughput}`);
    return {
      pool,
      index,
      throughput,
      prices,
      spotInterruptionRatePerHour,
      onPremInstances: isOnPrem ? (pool.maxInstances ?? 0) : 0,
      reservedInstances,
      spotCapacityHourly,
      current,
      launchedAtMs,
      classIds: input.classes.filter((c) => poolServesClass(pool, c)).map((c) => c.id),
    };
  });
}

/** Whether a pool can hold any capacity at all under `option`. */
export function offers(offer: PoolOffer, option: PurchaseOption): boolean {
  switch (option) {
    case 'on-prem':
      return offer.onPremInstances > 0;
    case 'reserved':
      return offer.reservedInstances > 0;
    case 'spot':
      return offer.prices.spot !== undefined && (offer.spotCapacityHourly?.some((c) => c > 0) ?? true);
    case 'on-demand':
      return offer.prices['on-demand'] !== undefined;
  }
}

export interface Component {
  classes: WorkloadClass[];
  offers: PoolOffer[];
}

/**
 * Splits the problem into groups of classes and pools that share no pool: each group is an independent
 * LP, so solving them apart gives the same optimum as one big LP, only faster.
 */
export function splitComponents(
  classes: readonly WorkloadClass[],
  allOffers: readonly PoolOffer[],
): Component[] {
  const parent = new Map<string, string>();
  const find = (k: string): string => {
    let root = k;
    while (parent.get(root) !== root) root = parent.get(root)!;
    parent.set(k, root);
    return root;
  };
  const union = (a: string, b: string) => parent.set(find(a), find(b));
  for (const c of classes) parent.set(`c:${c.id}`, `c:${c.id}`);
  const usable = allOffers.filter(
    (o) =>
      o.classIds.length > 0 &&
      (['on-prem', 'reserved', 'spot', 'on-demand'] as const).some((opt) => offers(o, opt)),
  );
  for (const o of usable) {
    parent.set(`p:${o.index}`, `p:${o.index}`);
    for (const id of o.classIds) union(`p:${o.index}`, `c:${id}`);
  }
  const groups = new Map<string, Component>();
  for (const c of classes) {
    const root = find(`c:${c.id}`);
    if (!groups.has(root)) groups.set(root, { classes: [], offers: [] });
    groups.get(root)!.classes.push(c);
  }
  for (const o of usable) groups.get(find(`p:${o.index}`))!.offers.push(o);
  return [...groups.values()];
}
