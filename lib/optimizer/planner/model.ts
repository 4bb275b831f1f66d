// Builds the capacity LP of one component: instances per pool × option × period, GPUs per class, named rows.
import { usdToNumber } from '../../domain/money.ts';
import { HOUR_MS } from '../../domain/time.ts';
import type { PlannerSettings } from './input.ts';
import { LpModel, sanitizeLpName } from './lp.ts';
import { offers, type Component, type DecidedOption, type PoolOffer } from './offers.ts';
import { leastOver, peakOver, type Period } from './periods.ts';

/** Option codes in variable names: short, so that a 1,000-pool model stays small as text. */
export const OPTION_CODE = { 'on-prem': 'op', reserved: 'rs', spot: 'sp', 'on-demand': 'od' } as const;
type ServingOption = keyof typeof OPTION_CODE;
const SERVING_OPTIONS: readonly ServingOption[] = ['on-prem', 'reserved', 'spot', 'on-demand'];

// On-prem is sunk; this tiny cost only keeps the solver from holding on-prem nodes it does not need.
const ON_PREM_TIE_BREAK_USD_PER_HOUR = 1e-4;
// Unmet demand costs this many times the dearest GPU-hour of the component: never chosen while any capacity is left.
const SHORTFALL_PENALTY_FACTOR = 1_000;

export const xName = (p: number, o: DecidedOption, t: number) => `x_${p}_${OPTION_CODE[o]}_${t}`;
export const lName = (p: number, o: DecidedOption, t: number) => `l_${p}_${OPTION_CODE[o]}_${t}`;
export const yName = (c: number, p: number, o: ServingOption, t: number) =>
  `y_${c}_${p}_${OPTION_CODE[o]}_${t}`;
export const sName = (c: number, t: number) => `s_${c}_${t}`;

export interface ShortfallRow {
  /** Column of the shortfall variable. */
  column: number;
  constraint: string;
  classIndex: number;
  period: Period;
}

export interface ComponentModel {
  model: LpModel;
  shortfalls: ShortfallRow[];
  /** Demand per class index per period, GPU-equivalents. */
  demand: number[][];
  /** Spot instances obtainable per pool index per period (Infinity = no limit). */
  spotCapacity: Map<number, number[]>;
  /** Column of the instances held per pool index, per option the pool offers, per period. */
  instances: Map<number, Partial<Record<DecidedOption, number[]>>>;
  /** Column of the spot GPUs a class runs in a pool, per class index, per pool index, per period. */
  spotWork: Map<number, number[]>[];
}

/** Unique LP-safe names for ids, so that two ids that sanitize alike still get different row names. */
class NameTable {
  private readonly byId = new Map<string, string>();
  private readonly used = new Set<string>();
  get(id: string): string {
    let name = this.byId.get(id);
    if (name) return name;
    name = sanitizeLpName(id);
    for (let i = 2; this.used.has(name); i++) name = `${sanitizeLpName(id)}_${i}`;
    this.byId.set(id, name);
    this.used.add(name);
    return name;
  }
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

export function buildComponentModel(
  component: Component,
  periods: readonly Period[],
  demandByClass: Readonly<Record<string, readonly number[]>>,
  settings: PlannerSettings,
): ComponentModel {
  const model = new LpModel();
  const names = new NameTable();
  const physical = settings.physicalOnly;
  const classIndex = new Map(component.classes.map((c, i) => [c.id, i]));
  const demand = component.classes.map((c) => periods.map((p) => peakOver(demandByClass[c.id] ?? [0], p)));
  const spotCapacity = new Map<number, number[]>();
  for (const offer of component.offers) {
    spotCapacity.set(
      offer.index,
      periods.map((p) => (offer.spotCapacityHourly ? leastOver(offer.spotCapacityHourly, p) : Infinity)),
    );
  }
  const dearestGpuHourUsd = Math.max(
    1,
    ...component.offers.flatMap((o) =>
      Object.values(o.prices).map((price) => usdToNumber(price) / o.pool.gpusPerInstance / o.throughput),
    ),
  );
  const shortfalls: ShortfallRow[] = [];
  const servedBy = new Map(component.offers.map((o) => [o.index, new Set(o.classIds)]));
  const usdPerHour = (offer: PoolOffer, o: ServingOption) => usdToNumber(offer.prices[o] ?? 0n);
  // Columns by pool, option and period, so that rows and the answer refer to them without names.
  const instances = new Map<number, Partial<Record<DecidedOption, number[]>>>();
  const launches = new Map<number, Partial<Record<DecidedOption, number[]>>>();
  for (const offer of component.offers) {
    instances.set(offer.index, {});
    launches.set(offer.index, {});
  }
  const spotWork = component.classes.map(() => new Map<number, number[]>());

  for (const period of periods) {
    const t = period.index;
    const hours = period.hours;
    const demandTerms = new Map<number, [number, number][]>();
    const spotTerms = new Map<number, [number, number][]>();
    const spotPools: { column: number; p: number }[] = [];

    for (const offer of component.offers) {
      const p = offer.index;
      const g = offer.pool.gpusPerInstance;
      const poolName = names.get(offer.pool.id);
      const bootFraction = physical ? 0 : Math.min(1, offer.pool.bootSeconds / (hours * 3600));
      const held = instances.get(p)!;
      const launched = launches.get(p)!;
      const cloud: [number, number][] = [];
      // Cloud instances the pool may still hold (its poolmax row): live nodes kept for their minimum lifetime
      // share it, so that a fleet above a lowered limit cannot make the model infeasible.
      let headroom =
        offer.pool.maxInstances !== undefined && offer.onPremInstances === 0
          ? Math.max(0, offer.pool.maxInstances - offer.reservedInstances)
          : Infinity;

      for (const o of SERVING_OPTIONS) {
        if (!offers(offer, o)) continue;
        const capacityTerms: [number, number][] = [];
        for (const workload of component.classes) {
          if (!servedBy.get(offer.index)!.has(workload.id) || (o === 'spot' && workload.spotShare <= 0))
            continue;
          const c = classIndex.get(workload.id)!;
          // Expected cost of spot interruptions: work since the last checkpoint is lost and paid again.
          const risk =
            o === 'spot' && !physical
              ? offer.spotInterruptionRatePerHour *
                (workload.checkpointIntervalMinutes / 60) *
                (usdPerHour(offer, o) / g) *
                hours
              : 0;
          const y = model.addColumn(yName(c, p, o, t), risk);
          capacityTerms.push([y, 1]);
          pushTo(demandTerms, c, [y, offer.throughput]);
          if (o === 'spot') {
            pushTo(spotTerms, c, [y, offer.throughput]);
            pushTo(spotWork[c]!, p, y);
          }
        }
        if (o === 'reserved') {
          model.addRow(`reservedcap_${poolName}_${t}`, capacityTerms, '<=', g * offer.reservedInstances);
          continue;
        }
        const upper =
          o === 'on-prem' ? offer.onPremInstances : o === 'spot' ? spotCapacity.get(p)![t]! : Infinity;
        const cost = o === 'on-prem' ? ON_PREM_TIE_BREAK_USD_PER_HOUR * hours : usdPerHour(offer, o) * hours;
        const x = model.addColumn(xName(p, o, t), cost, { upper, integer: true });
        (held[o] ??= []).push(x);
        if (o === 'spot') spotPools.push({ column: x, p });
        if (o !== 'on-prem') cloud.push([x, 1]);
        capacityTerms.push([x, -g]);
        if (!physical && o !== 'on-prem') {
          // Launches: paid churn, and a launched instance is warm only after it boots.
          const l = model.addColumn(lName(p, o, t), settings.churnHoursPerLaunch * usdPerHour(offer, o));
          const own = (launched[o] ??= []);
          own.push(l);
          const previous: [number, number][] = t === 0 ? [] : [[held[o][t - 1]!, 1]];
          model.addRow(
            `launch_${poolName}_${OPTION_CODE[o]}_${t}`,
            [[l, 1], [x, -1], ...previous],
            '>=',
            t === 0 ? -offer.current[o] : 0,
          );
          if (bootFraction > 0) capacityTerms.push([l, g * bootFraction]);
          headroom -= addMinimumLifetime(
            model,
            offer,
            o,
            period,
            periods,
            settings,
            poolName,
            Math.min(upper, headroom),
            x,
            own,
          );
        }
        model.addRow(`capacity_${poolName}_${OPTION_CODE[o]}_${t}`, capacityTerms, '<=', 0);
      }
      if (offer.pool.maxInstances !== undefined && offer.onPremInstances === 0 && cloud.length > 0)
        model.addRow(
          `poolmax_${poolName}_${t}`,
          cloud,
          '<=',
          Math.max(0, offer.pool.maxInstances - offer.reservedInstances),
        );
    }

    for (const workload of component.classes) {
      const c = classIndex.get(workload.id)!;
      const className = names.get(`class:${workload.id}`);
      const d = demand[c]![t]!;
      const s = model.addColumn(sName(c, t), SHORTFALL_PENALTY_FACTOR * dearestGpuHourUsd * hours);
      const constraint = `demand_${className}_${t}`;
      model.addRow(constraint, [...(demandTerms.get(c) ?? []), [s, 1]], '>=', d);
      shortfalls.push({ column: s, constraint, classIndex: c, period });
      const spot = spotTerms.get(c);
      if (spot && workload.spotShare < 1)
        model.addRow(`spotshare_${className}_${t}`, spot, '<=', workload.spotShare * d);
    }

    if (!physical && spotPools.length >= 2) {
      const total = model.addColumn(`S_${t}`, 0);
      model.addRow(
        `spottotal_${t}`,
        [[total, 1], ...spotPools.map(({ column }): [number, number] => [column, -1])],
        '=',
        0,
      );
      for (const { column, p } of spotPools) {
        model.addRow(
          `spotdiv_${p}_${OPTION_CODE.spot}_${t}`,
          [
            [column, 1],
            [total, -settings.maxSpotShareOnePool],
          ],
          '<=',
          settings.spotDiversificationFloorInstances,
        );
      }
    }
  }
  return { model, shortfalls, demand, spotCapacity, instances, spotWork };
}

/**
 * Instances launched within the minimum lifetime before a period must still be held in it: the plan's own
 * launches, and live nodes launched recently (capped by `room`, what the period can hold, so the model stays
 * feasible). `launched`: the launch columns of this pool and option so far, by period. Returns the live nodes kept.
 */
function addMinimumLifetime(
  model: LpModel,
  offer: PoolOffer,
  o: DecidedOption,
  period: Period,
  periods: readonly Period[],
  settings: PlannerSettings,
  poolName: string,
  room: number,
  held: number,
  launched: readonly number[],
): number {
  const lifetimeMs = settings.minLifetimeHours * HOUR_MS;
  if (lifetimeMs <= 0) return 0;
  const recentLaunches: [number, number][] = [];
  for (let q = 0; q < period.index; q++)
    if (period.startMs - periods[q]!.startMs < lifetimeMs) recentLaunches.push([launched[q]!, -1]);
  const recentNodes = Math.min(
    room,
    offer.current[o],
    offer.launchedAtMs[o].filter((at) => at + lifetimeMs > period.startMs).length,
  );
  if (recentLaunches.length === 0 && recentNodes === 0) return 0;
  model.addRow(
    `minlife_${poolName}_${OPTION_CODE[o]}_${period.index}`,
    [[held, 1], ...recentLaunches],
    '>=',
    recentNodes,
  );
  return recentNodes;
}
