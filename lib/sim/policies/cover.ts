// The shared rule that turns GPUs needed per class into instances per pool and option, cheapest first.
import type { PurchaseOption } from '../../domain/pool.ts';
import { poolServesClass } from '../../domain/workload.ts';
import type { PolicyView } from '../engine.ts';
import { cheapestPoolFor, holdingKey, type Fleetscape, type Holdings, type PricedPool } from '../scenario.ts';

export interface CoverOptions {
  /** Spot may be used at all (each class still at most its spot share). */
  useSpot: boolean;
  /** Spot instances a pool can hold now; undefined = unlimited. */
  spotLimit?: (poolId: string) => number;
  /** Committed or owned instances already held per pool|option, used before anything is bought. */
  held?: ReadonlyMap<string, number>;
  /** Options that may be bought for what is left (default: on-demand). */
  buy?: readonly PurchaseOption[];
}

function perGpu(sp: PricedPool, option: PurchaseOption): number {
  const price = sp.usdPerHour[option];
  return price === undefined ? Number.POSITIVE_INFINITY : Number(price) / sp.pool.gpusPerInstance;
}

/** Cheapest pool per GPU under an option that may serve a class. */
export function cheapestPool(
  scenario: Fleetscape,
  classId: string,
  option: PurchaseOption,
): PricedPool | undefined {
  const c = scenario.classes.find((x) => x.workload.id === classId);
  return c ? cheapestPoolFor(scenario.pools, c, option) : undefined;
}

/**
 * Covers `needGpus` per class: held capacity first (owned, committed), then spot up to each class's share
 * and each pool's limit, cheapest per GPU first, then the cheapest on-demand. Returns instances to hold.
 */
export function coverDemand(
  scenario: Fleetscape,
  needGpus: ReadonlyMap<string, number>,
  options: CoverOptions,
): Holdings {
  const gpusByKey = new Map<string, number>();
  const heldGpusLeft = new Map<string, number>();
  for (const [key, n] of options.held ?? []) {
    const poolId = key.slice(0, key.lastIndexOf('|'));
    const sp = scenario.pools.find((p) => p.pool.id === poolId);
    if (sp) heldGpusLeft.set(key, n * sp.pool.gpusPerInstance);
  }
  const spotGpusLeft = new Map<string, number>();
  const buy = options.buy ?? ['on-demand'];
  // Dedicated instances: what a class takes of a pool is rounded up to whole instances of its own.
  const gpusOf = (key: string) =>
    scenario.pools.find((p) => key.startsWith(`${p.pool.id}|`))?.pool.gpusPerInstance ?? 1;
  const whole = (key: string, gpus: number) =>
    scenario.sharing === 'dedicated' ? Math.ceil(gpus / gpusOf(key) - 1e-9) * gpusOf(key) : gpus;

  for (const c of scenario.classes) {
    let remaining = Math.max(0, needGpus.get(c.workload.id) ?? 0);
    const eligible = scenario.pools.filter((p) => poolServesClass(p.pool, c.workload));
    for (const [key, left] of heldGpusLeft) {
      if (remaining <= 0) break;
      if (!eligible.some((p) => key.startsWith(`${p.pool.id}|`))) continue;
      const take = Math.min(left, remaining);
      heldGpusLeft.set(key, Math.max(0, left - whole(key, take)));
      remaining -= take;
    }
    if (options.useSpot && remaining > 0) {
      let spotRoom = Math.min(remaining, (needGpus.get(c.workload.id) ?? 0) * c.workload.spotShare);
      const spotPools = eligible
        .filter((p) => p.usdPerHour.spot !== undefined)
        .sort((a, b) => perGpu(a, 'spot') - perGpu(b, 'spot'));
      for (const sp of spotPools) {
        if (spotRoom <= 0) break;
        const key = holdingKey(sp.pool.id, 'spot');
        if (!spotGpusLeft.has(key)) {
          const limit = options.spotLimit ? options.spotLimit(sp.pool.id) : Number.POSITIVE_INFINITY;
          spotGpusLeft.set(key, limit * sp.pool.gpusPerInstance);
        }
        const take = Math.min(spotRoom, spotGpusLeft.get(key)!);
        if (take <= 0) continue;
        spotGpusLeft.set(key, spotGpusLeft.get(key)! - take);
        gpusByKey.set(key, (gpusByKey.get(key) ?? 0) + whole(key, take));
        spotRoom -= take;
        remaining -= take;
      }
    }
    if (remaining > 0) {
      const option = buy.find((o) => eligible.some((p) => p.usdPerHour[o] !== undefined));
      if (!option) continue;
      const sp = eligible
        .filter((p) => p.usdPerHour[option] !== undefined)
        .sort((a, b) => perGpu(a, option) - perGpu(b, option))[0]!;
      const key = holdingKey(sp.pool.id, option);
      gpusByKey.set(key, (gpusByKey.get(key) ?? 0) + whole(key, remaining));
    }
  }
  const holdings: Holdings = new Map();
  for (const [key, gpus] of gpusByKey) {
    const poolId = key.slice(0, key.lastIndexOf('|'));
    const sp = scenario.pools.find((p) => p.pool.id === poolId)!;
    holdings.set(key, Math.ceil(gpus / sp.pool.gpusPerInstance - 1e-9));
  }
  return holdings;
}

/** The closed-form commitment: the level of usage exceeded in a share (committed/on-demand price) of hours. */
export function commitmentLevel(
  usage: readonly number[],
  committedPerHour: bigint,
  onDemandPerHour: bigint,
): number {
  if (usage.length === 0 || onDemandPerHour <= 0n) return 0;
  const ratio = Number(committedPerHour) / Number(onDemandPerHour);
  if (ratio >= 1) return 0;
  const sorted = [...usage].sort((a, b) => a - b);
  // Commit to the level held in at least `ratio` of hours: above it, paying on-demand is cheaper.
  const index = Math.floor((1 - ratio) * (sorted.length - 1));
  return sorted[Math.max(0, index)]!;
}

/**
 * The reservation per pool, sized on the classes it serves together: each hour's need summed over them (under
 * dedicated sharing each class's share rounded up to whole instances of its own, as it will be held), less the
 * owned GPUs that serve them, then committed at the break-even level of that sum. Quantiles do not add: the
 * break-even level of each class's own usage, summed, under-commits a pool that serves many small teams.
 */
export function pooledCommitment(
  view: PolicyView,
  usageOf: (classId: string) => readonly number[] | undefined,
  /** Size each class alone and add them up, as before pooling (what pooling buys is measured against it). */
  perClass = false,
  /**
   * What an hour of a committed instance of the pool displaces (default: its on-demand price): the break-even
   * share of hours is the commitment's price over it.
   */
  displacedPerHour?: (pool: PricedPool, classIds: readonly string[]) => bigint | undefined,
): Map<string, number> {
  const byPool = new Map<string, { pool: PricedPool; classes: string[] }>();
  for (const c of view.scenario.classes) {
    const pool = cheapestPool(view.scenario, c.workload.id, 'reserved');
    if (!pool) continue;
    const group = perClass ? `${pool.pool.id}#${c.workload.id}` : pool.pool.id;
    const entry = byPool.get(group) ?? { pool, classes: [] };
    entry.classes.push(c.workload.id);
    byPool.set(group, entry);
  }
  const out = new Map<string, number>();
  for (const { pool, classes } of byPool.values()) {
    const poolId = pool.pool.id;
    const gpi = pool.pool.gpusPerInstance;
    const members = view.scenario.classes.filter((c) => classes.includes(c.workload.id));
    // Owned GPUs serve first; the commitment covers only what is left above them.
    let ownedGpus = 0;
    for (const [key, n] of view.committed) {
      if (!key.endsWith('|on-prem')) continue;
      const sp = view.scenario.pools.find((p) => key.startsWith(`${p.pool.id}|`));
      if (sp && members.some((c) => poolServesClass(sp.pool, c.workload)))
        ownedGpus += n * sp.pool.gpusPerInstance;
    }
    const series = classes.map((id) => usageOf(id) ?? []);
    const hours = Math.max(0, ...series.map((u) => u.length));
    const total: number[] = [];
    for (let h = 0; h < hours; h++) {
      let sum = 0;
      for (const u of series) {
        // Series may differ in length (a class seen later); align them on their ends.
        const v = u[u.length - hours + h] ?? 0;
        sum += view.scenario.sharing === 'dedicated' ? Math.ceil(v / gpi - 1e-9) * gpi : v;
      }
      total.push(Math.max(0, sum - ownedGpus));
    }
    const displaced =
      displacedPerHour?.(pool, classes) ?? pool.usdPerHour['on-demand'] ?? pool.usdPerHour.reserved!;
    const n = Math.floor(commitmentLevel(total, pool.usdPerHour.reserved!, displaced) / gpi + 1e-9);
    if (n > 0) out.set(poolId, (out.get(poolId) ?? 0) + n);
  }
  return out;
}
