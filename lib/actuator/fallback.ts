// Where capacity goes when a launch fails or a spot node is lost: the other pools and options that serve the same classes, best first.
import type { Pool, PurchaseOption } from '../domain/pool.ts';
import { priceKey, type PriceQuote } from '../domain/price.ts';
import { poolServesClass, type WorkloadClass } from '../domain/workload.ts';

export interface ReplacementCandidate {
  pool: Pool;
  option: 'spot' | 'on-demand';
}

export interface ReplacementQuery {
  /** The pool whose capacity is missing, and how it was (or was to be) bought. */
  pool: Pool;
  option: PurchaseOption;
  pools: readonly Pool[];
  prices: readonly PriceQuote[];
  classes: readonly WorkloadClass[];
  gpuThroughput?: Readonly<Record<string, number>>;
  /** `priceKey(pool, option)` pairs not to try: tried already in this run, or refused by the cloud lately. */
  tried?: ReadonlySet<string>;
  /** Whether the same pool's spot is worth asking again (an interruption says it is not). */
  includeSamePoolSpot?: boolean;
}

export function throughputOf(pool: Pool, gpuThroughput?: Readonly<Record<string, number>>): number {
  return gpuThroughput?.[pool.gpuModel] ?? 1;
}

/** Instances of `pool` that do at least `work` (GPUs × throughput). */
export function instancesFor(
  pool: Pool,
  work: number,
  gpuThroughput?: Readonly<Record<string, number>>,
): number {
  return Math.max(1, Math.ceil(work / (pool.gpusPerInstance * throughputOf(pool, gpuThroughput)) - 1e-9));
}

/**
 * Another pool on the same option first (cheapest per unit of work), then another option: on-demand, the same
 * pool before the others. Spot is offered only for a spot shortfall, so a class kept off spot stays off it.
 * Every candidate serves every class the missing pool serves.
 */
export function replacementCandidates(query: ReplacementQuery): ReplacementCandidate[] {
  const price = new Map(query.prices.map((q) => [priceKey(q.poolId, q.option), q.usdPerHour]));
  const served = query.classes.filter((c) => poolServesClass(query.pool, c));
  const fits = (p: Pool) => served.every((c) => poolServesClass(p, c));
  const perWork = (p: Pool, option: string) =>
    Number(price.get(priceKey(p.id, option)) ?? 0n) /
    (p.gpusPerInstance * throughputOf(p, query.gpuThroughput));
  const open = (p: Pool, option: 'spot' | 'on-demand') =>
    fits(p) && price.has(priceKey(p.id, option)) && !query.tried?.has(priceKey(p.id, option));
  const spot: ReplacementCandidate[] =
    query.option === 'spot'
      ? query.pools
          .filter((p) => (p.id !== query.pool.id || query.includeSamePoolSpot) && open(p, 'spot'))
          .sort((a, b) => perWork(a, 'spot') - perWork(b, 'spot'))
          .map((pool) => ({ pool, option: 'spot' }))
      : [];
  const onDemand: ReplacementCandidate[] = query.pools
    .filter((p) => open(p, 'on-demand'))
    .sort((a, b) =>
      a.id === query.pool.id
        ? -1
        : b.id === query.pool.id
          ? 1
          : perWork(a, 'on-demand') - perWork(b, 'on-demand'),
    )
    .map((pool) => ({ pool, option: 'on-demand' }));
  return [...spot, ...onDemand];
}
