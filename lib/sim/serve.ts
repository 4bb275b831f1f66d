// One hour of service: which held GPUs serve which class's demand, what is left idle, and what must be filled late.
import { poolServesClass } from '../domain/workload.ts';
import type { PurchaseOption } from '../domain/pool.ts';
import {
  cheapestPoolFor,
  parseHoldingKey,
  type Holdings,
  type PricedPool,
  type Sharing,
} from './scenario.ts';
import type { WorkloadClass } from '../domain/workload.ts';
import { mostServed } from './serve-most.ts';

type ClassRef = { workload: WorkloadClass };

// Capacity is used in the order it is paid for: owned and committed first, then the cheapest per GPU.
const OPTION_ORDER: Record<PurchaseOption, number> = { 'on-prem': 0, reserved: 1, spot: 2, 'on-demand': 3 };

export interface ClassService {
  classId: string;
  demandGpus: number;
  servedGpus: number;
  spotGpus: number;
  shortfallGpus: number;
}

/** GPUs of one held pool|option that served one class. */
export interface Allocation {
  classId: string;
  key: string;
  gpus: number;
}

export interface HourService {
  classes: ClassService[];
  allocations: Allocation[];
  idleGpus: number;
  heldGpus: number;
  /** GPUs used per option, for the fleet-mix chart. */
  usedGpusByOption: Record<PurchaseOption, number>;
}

interface Slot {
  key: string;
  poolId: string;
  option: PurchaseOption;
  gpus: number;
  usdPerGpuHour: number;
}

/**
 * Serves each class from the held capacity it may use (its eligible pools, spot at most its spot share),
 * cheapest capacity first; the classes with the fewest eligible pools choose first so that a flexible class
 * does not take what only a strict class could use.
 */
export function serveHour(
  pools: readonly PricedPool[],
  classes: readonly ClassRef[],
  demandByClass: ReadonlyMap<string, number>,
  holdings: Holdings,
  sharing: Sharing = 'shared',
): HourService {
  const poolById = new Map(pools.map((p) => [p.pool.id, p]));
  const slots: Slot[] = [];
  let heldGpus = 0;
  for (const [key, instances] of holdings) {
    if (instances <= 0) continue;
    const { poolId, option } = parseHoldingKey(key);
    const sp = poolById.get(poolId);
    if (!sp) continue;
    const gpus = instances * sp.pool.gpusPerInstance;
    heldGpus += gpus;
    const price = sp.usdPerHour[option] ?? 0n;
    slots.push({ key, poolId, option, gpus, usdPerGpuHour: Number(price) / sp.pool.gpusPerInstance });
  }
  slots.sort((a, b) => OPTION_ORDER[a.option] - OPTION_ORDER[b.option] || a.usdPerGpuHour - b.usdPerGpuHour);

  const eligibleCount = (c: ClassRef) => pools.filter((p) => poolServesClass(p.pool, c.workload)).length;
  const order = [...classes].sort((a, b) => eligibleCount(a) - eligibleCount(b));
  const usedGpusByOption: Record<PurchaseOption, number> = {
    'on-prem': 0,
    reserved: 0,
    spot: 0,
    'on-demand': 0,
  };
  const allocations: Allocation[] = [];
  const state = order.map((c) => {
    const demand = demandByClass.get(c.workload.id) ?? 0;
    return { c, demand, need: demand, spotRoom: demand * c.workload.spotShare, spotGpus: 0 };
  });
  type Rule = 'spot' | 'whole' | 'any';
  // One team's pass over the slots: `spot` takes spot instances within its share (whole ones, and a last one in
  // part only when it spares the team an instance), `whole` only whole instances, `any` what it needs.
  const serveFrom = (s: (typeof state)[number], rule: Rule) => {
    for (const slot of slots) {
      if (s.need <= 0) break;
      if (slot.gpus <= 0 || (rule === 'spot' && slot.option !== 'spot')) continue;
      const sp = poolById.get(slot.poolId)!;
      if (!poolServesClass(sp.pool, s.c.workload)) continue;
      const g = sp.pool.gpusPerInstance;
      let take = Math.min(s.need, slot.gpus);
      if (slot.option === 'spot') take = Math.min(take, s.spotRoom);
      const full = Math.floor(take / g + 1e-9) * g;
      if (rule === 'whole') take = full;
      else if (
        rule === 'spot' &&
        Math.ceil((s.need - take) / g - 1e-9) >= Math.ceil((s.need - full) / g - 1e-9)
      )
        take = full;
      if (take <= 0) continue;
      // Dedicated: a team holds whole instances; the rest of an instance it uses is idle, not lent out.
      slot.gpus -= sharing === 'dedicated' ? Math.min(slot.gpus, Math.ceil(take / g - 1e-9) * g) : take;
      s.need -= take;
      allocations.push({ classId: s.c.workload.id, key: slot.key, gpus: take });
      usedGpusByOption[slot.option] += take;
      if (slot.option === 'spot') {
        s.spotRoom -= take;
        s.spotGpus += take;
      }
    }
  };
  if (sharing === 'dedicated') {
    // Teams first fill spot within their share, so what any team may use (owned, reserved, on-demand) is left
    // for the teams that cannot run on spot; then whole instances; then the parts of an instance left over,
    // the largest first, so that when instances run short the smallest remainders are the ones late.
    for (const s of state) serveFrom(s, 'spot');
    for (const s of state) serveFrom(s, 'whole');
    for (const s of [...state].sort((a, b) => b.need - a.need)) serveFrom(s, 'any');
  } else for (const s of state) serveFrom(s, 'any');
  const service: ClassService[] = state.map((s) => ({
    classId: s.c.workload.id,
    demandGpus: s.demand,
    servedGpus: s.demand - Math.max(0, s.need),
    spotGpus: s.spotGpus,
    shortfallGpus: Math.max(0, s.need),
  }));
  if (sharing !== 'dedicated') {
    // Shared GPUs then go where they serve the most on time: the greedy can leave a class late behind one
    // that took the capacity it needed and could have run on spot.
    const most = mostServed(poolById, order, demandByClass, slots, allocations);
    const used = most.allocations.reduce((a, x) => a + x.gpus, 0);
    return { ...most, idleGpus: Math.max(0, heldGpus - used), heldGpus };
  }
  // Held minus used: under dedicated instances the unused part of a team's instance is idle too.
  const idleGpus = Math.max(0, heldGpus - allocations.reduce((a, x) => a + x.gpus, 0));
  return { classes: service, allocations, idleGpus, heldGpus, usedGpusByOption };
}

/** The cheapest on-demand pool per GPU that may serve a class: where late demand is filled. */
export function lateFillPool<P extends PricedPool>(pools: readonly P[], c: ClassRef): P | undefined {
  return cheapestPoolFor(pools, c, 'on-demand');
}
