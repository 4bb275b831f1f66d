// Replays one policy over a scenario hour by hour: interruptions, launches and releases, service, late fills, the bill.
import { costForSeconds } from '../domain/money.ts';
import type { PurchaseOption } from '../domain/pool.ts';
import { lateFillPool, serveHour, type HourService } from './serve.ts';
import type { WorkloadClass } from '../domain/workload.ts';
import {
  holdingKey,
  latePenaltyMultiplier,
  latePenaltyPerGpuHour,
  ownedHoldings,
  parseHoldingKey,
  priceAt,
  pricedAt,
  spotAvailableAt,
  SIM_STEP_MS,
  type Holdings,
  type PricedPool,
  type Scenario,
  type Sharing,
  type SimPool,
} from './scenario.ts';

/** The scenario as a policy may see it in one hour: pools at today's prices, classes without their demand. */
export interface ScenarioView {
  name: string;
  startMs: number;
  warmupHours: number;
  defaultBootSeconds: number;
  latePenaltyMultiplier: number;
  sharing: Sharing;
  pools: readonly PricedPool[];
  classes: readonly { workload: WorkloadClass }[];
}

/**
 * What a policy may know at the start of an hour: the past, the fleet it holds, what it can launch now.
 * It holds no demand of this hour or later, and no spot price or availability of a later hour.
 */
export interface PolicyView {
  scenario: ScenarioView;
  hour: number;
  atMs: number;
  /** Demand of hours [0, hour): the policy never sees the hour it is deciding for. */
  demandHistory(classId: string): readonly number[];
  /** The pool's spot price in hours [0, hour] (this hour's price is posted before launching). */
  spotPriceHistory(poolId: string): readonly bigint[];
  holdings: ReadonlyMap<string, number>;
  /** Spot instances a launch in this pool would get right now (a launch request is answered at once). */
  spotLaunchable(poolId: string): number;
  reserved: ReadonlyMap<string, number>;
  /** Capacity paid for whatever happens, per pool|option: owned on-prem instances and commitments. */
  committed: ReadonlyMap<string, number>;
  /** Spot instances interrupted at the start of this hour, per pool (the 2-minute notices). */
  interruptedNow: ReadonlyMap<string, number>;
}

export interface Policy {
  name: string;
  description: string;
  /** Reserved instances per pool, bought when the evaluation starts (1-year term, billed every hour). */
  commitments?(view: PolicyView): Map<string, number> | Promise<Map<string, number>>;
  /** Instances to hold this hour per pool|option (reserved holdings are fixed by the commitment). */
  decide(view: PolicyView): Holdings | Promise<Holdings>;
}

/** One line of the simulated bill: what one pool and option cost in one hour. */
export interface BillLine {
  hour: number;
  poolId: string;
  option: PurchaseOption;
  /** held: instances held for the hour; boot: paid boot time of launches; late-fill: demand served late (its boot time included). */
  kind: 'held' | 'boot' | 'late-fill';
  instances: number;
  costUsd: bigint;
  /** The class a late fill served. */
  classId?: string;
}

export interface HourRecord {
  hour: number;
  atMs: number;
  costUsd: bigint;
  latePenaltyUsd: bigint;
  demandGpus: number;
  heldGpus: number;
  idleGpus: number;
  lateGpus: number;
  usedGpusByOption: Record<PurchaseOption, number>;
  service: HourService['classes'];
  allocations: HourService['allocations'];
}

export interface PolicyRun {
  name: string;
  description: string;
  /** The bill. */
  costUsd: bigint;
  /** P × late GPU-hours, with P = `latePenaltyMultiplier` on-demand GPU-hours of the class's cheapest pool. */
  latePenaltyUsd: bigint;
  /** The headline: bill + late penalty. */
  penalizedCostUsd: bigint;
  latePenaltyMultiplier: number;
  /** GPU-hours demanded (work re-run after interruptions included). */
  demandGpuHours: number;
  /** GPU-hours served on time by the held fleet (demand − late). */
  servedGpuHours: number;
  lateGpuHours: number;
  idleGpuHours: number;
  interruptions: number;
  lostGpuHours: number;
  launches: number;
  releases: number;
  spotLaunchesRefused: number;
  reserved: Map<string, number>;
  hours: HourRecord[];
  bill: BillLine[];
}

export interface SimulateOptions {
  onHour?: (hour: number, of: number) => void;
  /** Builds each hour's view (tests replace it to prove a leak is caught); default `policyView`. */
  view?: typeof policyView;
}

function priceOf(pool: SimPool, option: PurchaseOption, hour: number): bigint {
  const price = priceAt(pool, option, hour);
  if (price === undefined) throw new Error(`pool ${pool.pool.id} has no ${option} price`);
  return price;
}

/** The view of hour `hour`: built from the past only, copied so a policy cannot reach the engine's state. */
export function policyView(
  scenario: Scenario,
  hour: number,
  state: {
    holdings: ReadonlyMap<string, number>;
    reserved: ReadonlyMap<string, number>;
    committed: ReadonlyMap<string, number>;
    interruptedNow: ReadonlyMap<string, number>;
  },
): PolicyView {
  const pools = new Map(scenario.pools.map((p) => [p.pool.id, p]));
  const demand = new Map(scenario.classes.map((c) => [c.workload.id, c.demandGpus]));
  const holdings = new Map(state.holdings);
  return {
    scenario: {
      name: scenario.name,
      startMs: scenario.startMs,
      warmupHours: scenario.warmupHours,
      defaultBootSeconds: scenario.defaultBootSeconds,
      latePenaltyMultiplier: latePenaltyMultiplier(scenario),
      sharing: scenario.sharing ?? 'shared',
      pools: scenario.pools.map((p) => pricedAt(p, hour)),
      classes: scenario.classes.map((c) => ({ workload: c.workload })),
    },
    hour,
    atMs: scenario.startMs + hour * SIM_STEP_MS,
    demandHistory: (classId) => (demand.get(classId) ?? []).slice(0, hour),
    spotPriceHistory: (poolId) => {
      const sp = pools.get(poolId);
      if (!sp || sp.usdPerHour.spot === undefined) return [];
      return Array.from({ length: hour + 1 }, (_, h) => priceAt(sp, 'spot', h)!);
    },
    holdings,
    spotLaunchable: (poolId) => {
      const sp = pools.get(poolId);
      if (!sp || sp.usdPerHour.spot === undefined) return 0;
      return Math.max(0, spotAvailableAt(sp, hour) - (holdings.get(holdingKey(poolId, 'spot')) ?? 0));
    },
    reserved: new Map(state.reserved),
    committed: new Map(state.committed),
    interruptedNow: new Map(state.interruptedNow),
  };
}

export async function simulatePolicy(
  scenario: Scenario,
  policy: Policy,
  options: SimulateOptions = {},
): Promise<PolicyRun> {
  const pools = new Map(scenario.pools.map((p) => [p.pool.id, p]));
  const holdings: Holdings = new Map();
  const run: PolicyRun = {
    name: policy.name,
    description: policy.description,
    costUsd: 0n,
    latePenaltyUsd: 0n,
    penalizedCostUsd: 0n,
    latePenaltyMultiplier: latePenaltyMultiplier(scenario),
    demandGpuHours: 0,
    servedGpuHours: 0,
    lateGpuHours: 0,
    idleGpuHours: 0,
    interruptions: 0,
    lostGpuHours: 0,
    launches: 0,
    releases: 0,
    spotLaunchesRefused: 0,
    reserved: new Map(),
    hours: [],
    bill: [],
  };
  const carried = new Map<string, number>(); // work lost to interruptions, re-run in the next hour
  let lastSpotShareByClass = new Map<string, number>();

  const makeView = (hour: number, interruptedNow: Map<string, number>): PolicyView =>
    (options.view ?? policyView)(scenario, hour, {
      holdings,
      reserved: run.reserved,
      committed,
      interruptedNow,
    });
  const penaltyPerGpuHour = new Map(
    scenario.classes.map((c) => [c.workload.id, latePenaltyPerGpuHour(scenario, c)]),
  );

  const committed = ownedHoldings(scenario);
  for (const [key, n] of committed) holdings.set(key, n);
  const first = scenario.warmupHours;
  if (policy.commitments) {
    for (const [poolId, n] of await policy.commitments(makeView(first, new Map()))) {
      if (n <= 0) continue;
      priceOf(pools.get(poolId)!, 'reserved', first);
      run.reserved.set(poolId, Math.floor(n));
      committed.set(holdingKey(poolId, 'reserved'), Math.floor(n));
      holdings.set(holdingKey(poolId, 'reserved'), Math.floor(n));
    }
  }

  for (let hour = first; hour < scenario.hours; hour++) {
    // 1. Spot capacity that the market takes back this hour is interrupted before anything else happens.
    const interruptedNow = new Map<string, number>();
    let lostThisHour = 0;
    for (const [key, held] of holdings) {
      const { poolId, option } = parseHoldingKey(key);
      if (option !== 'spot' || held <= 0) continue;
      const sp = pools.get(poolId)!;
      const available = spotAvailableAt(sp, hour);
      if (held > available) {
        const lost = held - available;
        holdings.set(key, available);
        interruptedNow.set(poolId, lost);
        run.interruptions += lost;
        // On average half a checkpoint interval of work is lost and re-run.
        const checkpointHours =
          Math.min(...scenario.classes.map((c) => c.workload.checkpointIntervalMinutes), 60 * 24) / 60;
        lostThisHour += lost * sp.pool.gpusPerInstance * (checkpointHours / 2);
      }
    }
    if (lostThisHour > 0) {
      run.lostGpuHours += lostThisHour;
      const shares = [...lastSpotShareByClass.entries()];
      const total = shares.reduce((a, [, v]) => a + v, 0);
      for (const [classId, v] of shares.length
        ? shares
        : scenario.classes.map((c) => [c.workload.id, 1] as const)) {
        const weight = total > 0 ? v / total : 1 / scenario.classes.length;
        carried.set(classId, (carried.get(classId) ?? 0) + lostThisHour * weight);
      }
    }

    // 2. The policy decides what to hold this hour; the cloud launches what it can.
    const target = await policy.decide(makeView(hour, interruptedNow));
    const keys = new Set([...holdings.keys(), ...target.keys()]);
    const bootCharges: BillLine[] = [];
    for (const key of keys) {
      const { poolId, option } = parseHoldingKey(key);
      if (option === 'reserved' || option === 'on-prem') continue;
      const sp = pools.get(poolId);
      if (!sp) throw new Error(`policy ${policy.name} asked for unknown pool ${poolId}`);
      const current = holdings.get(key) ?? 0;
      const desired = Math.max(0, Math.round(target.get(key) ?? 0));
      if (desired > current) {
        let launch = desired - current;
        if (option === 'spot') {
          const launchable = Math.max(0, spotAvailableAt(sp, hour) - current);
          if (launch > launchable) {
            run.spotLaunchesRefused += launch - launchable;
            launch = launchable;
          }
        }
        if (launch > 0) {
          run.launches += launch;
          const boot = sp.pool.bootSeconds ?? scenario.defaultBootSeconds;
          bootCharges.push({
            hour,
            poolId,
            option,
            kind: 'boot',
            instances: launch,
            // Per instance, as each instance's bill (and its attribution) rounds on its own.
            costUsd: costForSeconds(priceOf(sp, option, hour), boot) * BigInt(launch),
          });
        }
        holdings.set(key, current + launch);
      } else if (desired < current) {
        run.releases += current - desired;
        holdings.set(key, desired);
      }
    }

    // 3. Demand arrives; what the fleet cannot serve is filled late by on-demand capacity.
    const demand = new Map<string, number>();
    for (const c of scenario.classes) {
      const id = c.workload.id;
      demand.set(id, (c.demandGpus[hour] ?? 0) + (carried.get(id) ?? 0));
    }
    carried.clear();
    const service = serveHour(scenario.pools, scenario.classes, demand, holdings, scenario.sharing);
    lastSpotShareByClass = new Map(service.classes.map((s) => [s.classId, s.spotGpus]));

    // 4. The bill for the hour: everything held, boot time of launches, late fills.
    let hourCost = 0n;
    for (const [key, instances] of holdings) {
      if (instances <= 0) continue;
      const { poolId, option } = parseHoldingKey(key);
      const sp = pools.get(poolId)!;
      const costUsd = priceOf(sp, option, hour) * BigInt(instances);
      run.bill.push({ hour, poolId, option, kind: 'held', instances, costUsd });
      hourCost += costUsd;
    }
    for (const line of bootCharges) {
      run.bill.push({ ...line });
      hourCost += line.costUsd;
    }
    let lateGpus = 0;
    let penaltyUsd = 0n;
    for (const s of service.classes) {
      if (s.shortfallGpus <= 1e-9) continue;
      const c = scenario.classes.find((x) => x.workload.id === s.classId)!;
      const fill = lateFillPool(scenario.pools, c);
      if (!fill) throw new Error(`no on-demand pool can serve class ${s.classId}; add one to the scenario`);
      const instances = Math.ceil(s.shortfallGpus / fill.pool.gpusPerInstance - 1e-9);
      // A late fill is a launch like any other: it pays its boot time before it serves.
      const price = priceOf(fill, 'on-demand', hour);
      const boot = fill.pool.bootSeconds ?? scenario.defaultBootSeconds;
      const costUsd = (price + costForSeconds(price, boot)) * BigInt(instances);
      penaltyUsd += BigInt(Math.round(s.shortfallGpus * penaltyPerGpuHour.get(s.classId)!));
      run.bill.push({
        hour,
        poolId: fill.pool.id,
        option: 'on-demand',
        kind: 'late-fill',
        instances,
        costUsd,
        classId: s.classId,
      });
      hourCost += costUsd;
      lateGpus += s.shortfallGpus;
    }

    run.costUsd += hourCost;
    run.latePenaltyUsd += penaltyUsd;
    run.penalizedCostUsd += hourCost + penaltyUsd;
    run.lateGpuHours += lateGpus;
    run.idleGpuHours += service.idleGpus;
    const demandGpus = [...demand.values()].reduce((a, b) => a + b, 0);
    run.demandGpuHours += demandGpus;
    run.servedGpuHours += service.classes.reduce((a, x) => a + x.servedGpus, 0);
    run.hours.push({
      hour,
      atMs: scenario.startMs + hour * SIM_STEP_MS,
      costUsd: hourCost,
      latePenaltyUsd: penaltyUsd,
      demandGpus,
      heldGpus: service.heldGpus,
      idleGpus: service.idleGpus,
      lateGpus,
      usedGpusByOption: service.usedGpusByOption,
      service: service.classes,
      allocations: service.allocations,
    });
    options.onHour?.(hour - first + 1, scenario.hours - first);
  }
  return run;
}
