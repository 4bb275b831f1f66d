// Solves a capacity plan: splits the problem into independent parts, solves each with HiGHS, rounds to whole instances and prices the result.
import { sumUsd } from '../../domain/money.ts';
import type { Plan, PlanLine } from '../../domain/plan.ts';
import type { PurchaseOption } from '../../domain/pool.ts';
import { toRfc3339 } from '../../domain/time.ts';
import type { WorkloadClass } from '../../domain/workload.ts';
import { explainPool, lineCostUsd, type InstanceCounts } from './explain.ts';
import { SolverError, solveModel, type ModelSolution } from './highs.ts';
import {
  DEFAULT_PLANNER_SETTINGS,
  InfeasiblePlanError,
  PlannerInputError,
  type PlannerInput,
  type PlannerSettings,
} from './input.ts';
import { buildComponentModel, OPTION_CODE, type ComponentModel } from './model.ts';
import { buildOffers, offers, splitComponents, type Component, type PoolOffer } from './offers.ts';
import { buildPeriods, peakOver, type Period } from './periods.ts';

// Below this a solver value is noise, not an instance or a GPU.
const EPSILON = 1e-6;

export interface ComponentStats {
  classes: number;
  pools: number;
  variables: number;
  rows: number;
  method: 'mip' | 'lp-rounded-up';
  status: string;
  seconds: number;
  /** Set when the first solver attempt failed: which attempts failed and what solved (the run logs it). */
  fallback?: string;
}

export interface PlanResult {
  plan: Plan;
  periods: Period[];
  /** Whole instances per pool id, per option, per period. */
  instances: Map<string, InstanceCounts>;
  stats: { seconds: number; components: ComponentStats[] };
  /** The solver's objective (with risk and churn terms): a diagnostic, never money. */
  objective: number;
}

const emptyCounts = (n: number): InstanceCounts => ({
  'on-prem': new Array<number>(n).fill(0),
  reserved: new Array<number>(n).fill(0),
  spot: new Array<number>(n).fill(0),
  'on-demand': new Array<number>(n).fill(0),
});

function describeNeeds(workload: WorkloadClass): string {
  const needs = [`≥ ${workload.minGpuMemoryGiB} GiB GPU memory`, `${workload.interconnect} or faster`];
  if (workload.allowedGpuModels.length > 0) needs.push(`models ${workload.allowedGpuModels.join('/')}`);
  return needs.join(', ');
}

export async function planCapacity(
  input: PlannerInput,
  overrides: Partial<PlannerSettings> = {},
): Promise<PlanResult> {
  const started = performance.now();
  const settings: PlannerSettings = { ...DEFAULT_PLANNER_SETTINGS, ...overrides };
  const periods = buildPeriods(input.startMs, input.horizonHours, settings.periodLayout);
  for (const classId of Object.keys(input.demand)) {
    if (!input.classes.some((c) => c.id === classId))
      throw new PlannerInputError(`demand.${classId}: no workload class with this id`);
  }
  const allOffers = buildOffers(input);
  rejectUnservedClasses(input, allOffers, periods);

  const instances = new Map<string, InstanceCounts>();
  for (const offer of allOffers) {
    const counts = emptyCounts(periods.length);
    counts.reserved.fill(offer.reservedInstances);
    instances.set(offer.pool.id, counts);
  }
  const spotCapped = new Map<string, Set<string>>();
  const stats: ComponentStats[] = [];
  const shortfalls: ConstructorParameters<typeof InfeasiblePlanError>[0][number][] = [];
  let objective = 0;

  for (const component of splitComponents(input.classes, allOffers)) {
    if (component.offers.length === 0) continue;
    const t0 = performance.now();
    const built = buildComponentModel(component, periods, input.demand, settings);
    const { solution, method, fallback } = await solveComponent(built, settings);
    objective += solution.objective;
    stats.push({
      classes: component.classes.length,
      pools: component.offers.length,
      variables: built.model.variableCount,
      rows: built.model.rowCount,
      method,
      status: solution.status,
      seconds: (performance.now() - t0) / 1000,
      ...(fallback ? { fallback } : {}),
    });
    const column = solution.column;
    for (const row of built.shortfalls) {
      const short = column[row.column]!;
      if (short <= EPSILON) continue;
      const workload = component.classes[row.classIndex]!;
      shortfalls.push({
        constraint: row.constraint,
        classId: workload.id,
        periodStart: toRfc3339(row.period.startMs),
        shortGpus: Math.round(short * 1000) / 1000,
        reason: `demand ${built.demand[row.classIndex]![row.period.index]} GPU(s) exceeds what the pools serving it (${describeNeeds(workload)}) can hold: ${capacitySummary(component, workload, built, row.period)}`,
      });
    }
    readInstances(component, built, solution, method, periods, instances);
    markSpotCapped(component, built, solution, periods, spotCapped);
  }
  if (shortfalls.length > 0) throw new InfeasiblePlanError(shortfalls);

  const offersById = new Map(allOffers.map((o) => [o.pool.id, o]));
  const lines: PlanLine[] = [];
  for (const offer of allOffers) {
    const counts = instances.get(offer.pool.id)!;
    for (const option of Object.keys(OPTION_CODE) as PurchaseOption[]) {
      periods.forEach((period, t) => {
        const n = counts[option][t] ?? 0;
        if (n <= 0) return;
        lines.push({
          poolId: offer.pool.id,
          option,
          periodStart: toRfc3339(period.startMs),
          periodEnd: toRfc3339(period.endMs),
          instances: n,
          costUsd: lineCostUsd(offer, option, n, period),
        });
      });
    }
  }
  const poolsWithLines = new Set(lines.map((l) => l.poolId));
  const explanations = allOffers
    .filter((o) => poolsWithLines.has(o.pool.id))
    .map((o) =>
      explainPool(o, instances.get(o.pool.id)!, periods, offersById, input.classes, [
        ...(spotCapped.get(o.pool.id) ?? []),
      ]),
    );
  const createdAtMs = settings.createdAtMs ?? input.startMs;
  const plan: Plan = {
    planId: settings.planId ?? `plan-${toRfc3339(createdAtMs)}`,
    createdAt: toRfc3339(createdAtMs),
    horizonStart: toRfc3339(periods[0]!.startMs),
    horizonEnd: toRfc3339(periods[periods.length - 1]!.endMs),
    quantile: settings.quantile,
    mode: settings.mode,
    lines,
    totalCostUsd: sumUsd(lines.map((l) => l.costUsd)),
    explanations,
    actions: [],
  };
  return {
    plan,
    periods,
    instances,
    stats: { seconds: (performance.now() - started) / 1000, components: stats },
    objective,
  };
}

/** A class with demand that no pool can serve at all is reported before any solving, by its first demand row. */
function rejectUnservedClasses(
  input: PlannerInput,
  allOffers: readonly PoolOffer[],
  periods: readonly Period[],
) {
  const shortfalls: ConstructorParameters<typeof InfeasiblePlanError>[0][number][] = [];
  input.classes.forEach((workload) => {
    const served = allOffers.some(
      (o) =>
        o.classIds.includes(workload.id) &&
        (['on-prem', 'reserved', 'spot', 'on-demand'] as const).some((opt) => offers(o, opt)),
    );
    if (served) return;
    const hourly = input.demand[workload.id] ?? [];
    const period = periods.find((p) => peakOver(hourly.length > 0 ? hourly : [0], p) > 0);
    if (!period) return;
    shortfalls.push({
      constraint: `demand_${workload.id}_${period.index}`,
      classId: workload.id,
      periodStart: toRfc3339(period.startMs),
      shortGpus: peakOver(hourly, period),
      reason: `no pool with a price serves class ${workload.id} (${describeNeeds(workload)})`,
    });
  });
  if (shortfalls.length > 0) throw new InfeasiblePlanError(shortfalls);
}

async function solveComponent(
  built: ComponentModel,
  settings: PlannerSettings,
): Promise<{ solution: ModelSolution; method: ComponentStats['method']; fallback?: string }> {
  const useMip =
    settings.integer === 'mip' ||
    (settings.integer === 'auto' && built.model.integerCount <= settings.mipMaxIntegerVariables);
  if (useMip) {
    try {
      const solution = await solveModel(built.model, false, {
        mip_rel_gap: settings.mipRelativeGap,
        time_limit: settings.mipTimeLimitSeconds,
      });
      // An incumbent cut short by the time limit may leave demand unmet that the relaxation would meet.
      if (solution.status === 'Optimal')
        return { solution, method: 'mip', ...(solution.fallback ? { fallback: solution.fallback } : {}) };
      if (settings.integer === 'mip')
        throw new SolverError(
          solution.status,
          `MIP stopped with status "${solution.status}" before proving a plan`,
        );
    } catch (error) {
      if (settings.integer === 'mip') throw error;
      // A MIP that found no integer solution in time (or that the solver failed on) falls back to the
      // rounded relaxation below, and says so.
      const solution = await solveModel(built.model, true, { solver: 'simplex' });
      return {
        solution,
        method: 'lp-rounded-up',
        fallback: `MIP failed (${(error as Error).message}); relaxed then rounded up${solution.fallback ? `, ${solution.fallback}` : ''}`,
      };
    }
  }
  const solution = await solveModel(built.model, true, { solver: 'simplex' });
  return { solution, method: 'lp-rounded-up', ...(solution.fallback ? { fallback: solution.fallback } : {}) };
}

/**
 * Whole instances from the solution. A relaxation is rounded up, which never breaks a demand or capacity
 * row (capacity only grows; a launch's warm-up loss grows slower than its capacity), and physical limits
 * are whole numbers, so ceil(x) ≤ limit whenever x ≤ limit. Spot is rounded down and the pool's
 * on-demand takes the fraction (with the pool's spot and on-demand summed, then rounded up), so spot
 * never holds more than the spot share and spot availability allow.
 */
function readInstances(
  component: Component,
  built: ComponentModel,
  solution: ModelSolution,
  method: ComponentStats['method'],
  periods: readonly Period[],
  instances: Map<string, InstanceCounts>,
) {
  const column = solution.column;
  for (const offer of component.offers) {
    const counts = instances.get(offer.pool.id)!;
    const held = built.instances.get(offer.index)!;
    const value = (option: 'on-prem' | 'spot' | 'on-demand', t: number) =>
      Math.max(0, column[held[option]![t]!]!);
    periods.forEach((_, t) => {
      if (method === 'mip') {
        for (const option of ['on-prem', 'spot', 'on-demand'] as const)
          if (held[option]) counts[option][t] = Math.round(value(option, t)) || 0;
        return;
      }
      if (held['on-prem']) counts['on-prem'][t] = Math.max(0, Math.ceil(value('on-prem', t) - EPSILON));
      const spot = held.spot ? value('spot', t) : 0;
      if (held['on-demand']) {
        counts.spot[t] = Math.floor(spot + EPSILON) || 0;
        counts['on-demand'][t] = Math.max(
          0,
          Math.ceil(spot + value('on-demand', t) - EPSILON) - counts.spot[t]!,
        );
      } else counts.spot[t] = Math.max(0, Math.ceil(spot - EPSILON));
    });
  }
}

/** Classes whose spot share row binds in some period, per pool that carries their spot work. */
function markSpotCapped(
  component: Component,
  built: ComponentModel,
  solution: ModelSolution,
  periods: readonly Period[],
  spotCapped: Map<string, Set<string>>,
) {
  const column = solution.column;
  component.classes.forEach((workload, c) => {
    if (workload.spotShare >= 1) return;
    const work = built.spotWork[c]!;
    for (const period of periods) {
      const limit = workload.spotShare * built.demand[c]![period.index]!;
      let used = 0;
      const carriers: string[] = [];
      for (const offer of component.offers) {
        const y = work.get(offer.index)?.[period.index];
        const v = y === undefined ? 0 : column[y]!;
        used += v * offer.throughput;
        if (v > EPSILON) carriers.push(offer.pool.id);
      }
      if (limit > 0 && used >= limit - 1e-4) {
        for (const poolId of carriers) {
          if (!spotCapped.has(poolId)) spotCapped.set(poolId, new Set());
          spotCapped.get(poolId)!.add(workload.id);
        }
      }
    }
  });
}

function capacitySummary(
  component: Component,
  workload: WorkloadClass,
  built: ComponentModel,
  period: Period,
): string {
  const parts: string[] = [];
  let unlimited = false;
  for (const offer of component.offers) {
    if (!offer.classIds.includes(workload.id)) continue;
    const g = offer.pool.gpusPerInstance * offer.throughput;
    const held: string[] = [];
    if (offer.onPremInstances > 0) held.push(`on-prem ${offer.onPremInstances * g}`);
    if (offer.reservedInstances > 0) held.push(`reserved ${offer.reservedInstances * g}`);
    const spot = built.spotCapacity.get(offer.index)?.[period.index];
    if (workload.spotShare > 0 && offers(offer, 'spot'))
      held.push(`spot ${spot === undefined || spot === Infinity ? 'unlimited' : spot * g}`);
    if (offers(offer, 'on-demand')) {
      held.push(
        offer.pool.maxInstances !== undefined ? `on-demand ≤ ${offer.pool.maxInstances * g}` : 'on-demand',
      );
      if (offer.pool.maxInstances === undefined) unlimited = true;
    }
    parts.push(`${offer.pool.id} [${held.join(', ') || 'nothing'}]`);
  }
  const summary = parts.slice(0, 4).join('; ') + (parts.length > 4 ? `; … ${parts.length - 4} more` : '');
  return unlimited ? `${summary} (shared with other classes)` : summary;
}
