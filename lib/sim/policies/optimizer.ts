// gpu-optimizer's own policy in the simulator: forecast each class's demand, solve the capacity LP, hold its first hour.
import { forecastSeries, InsufficientHistoryError } from '../../../forecasting/index.ts';
import type { FleetNode } from '../../domain/fleet.ts';
import type { QuantileName } from '../../domain/forecast.ts';
import type { PriceQuote } from '../../domain/price.ts';
import { poolServesClass } from '../../domain/workload.ts';
import { toRfc3339 } from '../../domain/time.ts';
import { planCapacity, type PlanResult } from '../../optimizer/planner/index.ts';
import type { Policy, PolicyView } from '../engine.ts';
import { holdingKey, parseHoldingKey, SIM_STEP_MS, type Holdings, type PricedPool } from '../scenario.ts';
import { commitmentLevel, cheapestPool } from './cover.ts';
import { planHourAhead, upperQuantile } from '../../optimizer/hour-ahead.ts';
import { fitToHour, plannedUsage } from './hour-ahead.ts';

export interface OptimizerPolicyOptions {
  horizonHours?: number;
  quantile?: QuantileName;
  /** Models are refitted this often; between refits the last fit's forecast is read further along. */
  refitEveryHours?: number;
  /** History the models are fitted on. */
  fitWindowHours?: number;
  /** Usage history the commitment is chosen from. */
  commitmentLookbackHours?: number;
  /**
   * Share of recent hours the next hour's plan should have covered: the margin over the corrected forecast is
   * this quantile of the last week's one-hour-ahead misses. A shortfall is filled late at on-demand price.
   */
  coverage?: number;
  /**
   * Between refits the forecast is moved by the last hour's miss (actual − point forecast), since demand one
   * hour on is closer to the last hour than to a fit a day old; 0 turns this off.
   */
  missCarryOver?: number;
  /** The next hour's plan is at least this share above the last hour's demand (a floor for smooth series). */
  minHeadroom?: number;
  /**
   * Spot is held for the largest one-hour-ahead miss of the last week, at most this many times the `coverage`
   * margin; 0 holds spot for the plan only.
   */
  spotMarginFactor?: number;
  /** Called after each solve, so `simulate` can keep plans for the report. */
  onPlan?: (plan: PlanResult, view: PolicyView) => void;
  /** Called with the demand planned for in each hour (all classes, at the quantile), for forecast vs actual. */
  onDemandForecast?: (hour: number, gpus: number) => void;
  /** Lines for the run's log (solver fallbacks). */
  onLog?: (line: string) => void;
}

interface ClassForecast {
  fittedAtHour: number;
  point: number[];
  bands: Record<QuantileName, number[]>;
  model: string;
}

export function scenarioQuotes(scenario: { pools: readonly PricedPool[] }, asOfMs: number): PriceQuote[] {
  const quotes: PriceQuote[] = [];
  for (const sp of scenario.pools) {
    for (const [option, usdPerHour] of Object.entries(sp.usdPerHour)) {
      if (usdPerHour === undefined) continue;
      quotes.push({
        poolId: sp.pool.id,
        option: option as PriceQuote['option'],
        usdPerHour,
        asOf: toRfc3339(asOfMs),
        source: 'sim',
        modelled: sp.modelled?.[option as PriceQuote['option']] ?? false,
        ...(option === 'reserved' ? { termYears: 1 as const } : {}),
        ...(option === 'spot' && sp.spotInterruptionRatePerHour !== undefined
          ? { spotInterruptionRatePerHour: sp.spotInterruptionRatePerHour }
          : {}),
      });
    }
  }
  return quotes;
}

// A miss or a margin measured one hour ahead weighs this much less with every further hour.
const MISS_DECAY = 0.9;
const DROP_CARRY_OVER = 0.5;
const MARGIN_WINDOW_HOURS = 7 * 24;
const MIN_MARGIN_SAMPLES = 24;
// A commitment is chosen from the lookback moved this far along its trend (see plannedUsage).
const COMMITMENT_TREND_WEIGHT = 0.5;

export function optimizerPolicy(options: OptimizerPolicyOptions = {}): Policy {
  const horizonHours = options.horizonHours ?? 48;
  const quantile = options.quantile ?? 'p90';
  const refitEvery = options.refitEveryHours ?? 24;
  const fitWindow = options.fitWindowHours ?? 28 * 24;
  const missCarryOver = options.missCarryOver ?? 1;
  const coverage = options.coverage ?? 0.97;
  const minHeadroom = options.minHeadroom ?? 0.02;
  const spotMarginFactor = options.spotMarginFactor ?? 1.5;
  const forecasts = new Map<string, ClassForecast>();
  const predictionsByClass = new Map<string, Map<number, number>>();
  const launchHours = new Map<string, number[]>();

  /** Demand to plan for over the horizon (hour 0 = the hour-ahead plan), and the hour's spot plan. */
  function demandAhead(view: PolicyView, classId: string): { path: number[]; spotPlan: number } {
    let f = forecasts.get(classId);
    if (!f || view.hour - f.fittedAtHour >= refitEvery) {
      const history = view.demandHistory(classId).slice(-fitWindow);
      const startHour = view.hour - history.length;
      try {
        const out = forecastSeries(
          { startMs: view.scenario.startMs + startHour * SIM_STEP_MS, stepMs: SIM_STEP_MS, values: history },
          { horizon: horizonHours + refitEvery },
        );
        f = {
          fittedAtHour: view.hour,
          point: out.point,
          bands: { p50: out.p50, p90: out.p90, p99: out.p99 },
          model: out.model,
        };
      } catch (error) {
        if (!(error instanceof InsufficientHistoryError)) throw error;
        // Too little history to fit: plan for the highest demand seen so far.
        const peak = Math.max(0, ...history);
        const flat = new Array<number>(horizonHours + refitEvery).fill(peak);
        f = {
          fittedAtHour: view.hour,
          point: flat,
          bands: { p50: flat, p90: flat, p99: flat },
          model: 'peak-so-far',
        };
      }
      forecasts.set(classId, f);
    }
    const offset = view.hour - f.fittedAtHour;
    const history = view.demandHistory(classId);
    const lastActual = history[history.length - 1];
    const lastPoint = offset > 0 ? f.point[offset - 1] : undefined;
    const rawMiss = lastActual !== undefined && lastPoint !== undefined ? lastActual - lastPoint : 0;
    // A drop may be a one-hour blip and a shortfall costs on-demand prices, so a drop carries over at half weight.
    const miss = rawMiss >= 0 ? rawMiss : rawMiss * DROP_CARRY_OVER;
    // The miss fades over the horizon: it says most about the next hours, little about tomorrow.
    const point = f.point
      .slice(offset, offset + horizonHours)
      .map((v, k) => Math.max(0, v + missCarryOver * miss * MISS_DECAY ** k));

    // How far demand has lately run above this corrected one-hour-ahead forecast: a margin that adapts.
    let predictions = predictionsByClass.get(classId);
    if (!predictions) predictionsByClass.set(classId, (predictions = new Map()));
    predictions.set(view.hour, point[0] ?? 0);
    predictions.delete(view.hour - MARGIN_WINDOW_HOURS - 1);
    const errors: number[] = [];
    for (let h = view.hour - MARGIN_WINDOW_HOURS; h < view.hour; h++) {
      const predicted = predictions.get(h);
      const actual = history[h];
      if (predicted !== undefined && actual !== undefined) errors.push(actual - predicted);
    }
    const band = f.bands[quantile];
    let path: number[];
    if (errors.length < MIN_MARGIN_SAMPLES) {
      path = point.map((v, k) =>
        Math.max(0, v + Math.max(0, (band[offset + k] ?? 0) - (f.point[offset + k] ?? 0))),
      );
    } else {
      const margin = upperQuantile(errors, coverage);
      // Near steps carry the measured margin; far ones widen towards the model's own band at the quantile.
      path = point.map((v, k) => {
        const bandWidth = Math.max(0, (band[offset + k] ?? 0) - (f.point[offset + k] ?? 0));
        const w = MISS_DECAY ** k;
        return Math.max(0, v + w * margin + (1 - w) * Math.max(bandWidth, margin));
      });
    }
    if (path.length === 0) return { path, spotPlan: 0 };
    const next = planHourAhead({
      history: history.slice(-MARGIN_WINDOW_HOURS - 1),
      forecast: point[0] ?? 0,
      forecastMisses: errors,
      coverage,
      minHeadroom,
      spotMarginFactor,
      windowHours: MARGIN_WINDOW_HOURS,
      minSamples: MIN_MARGIN_SAMPLES,
    });
    path[0] = Math.max(path[0]!, next.plan);
    return { path, spotPlan: Math.max(path[0], next.spotPlan) };
  }

  function currentFleet(view: PolicyView): FleetNode[] {
    const nodes: FleetNode[] = [];
    for (const [key, n] of view.holdings) {
      if (n <= 0) continue;
      const { poolId, option } = parseHoldingKey(key);
      const sp = view.scenario.pools.find((p) => p.pool.id === poolId)!;
      const launched = (launchHours.get(key) ?? []).slice(-n);
      for (let i = 0; i < n; i++) {
        const hour = launched[launched.length - n + i] ?? view.scenario.warmupHours - 24;
        nodes.push({
          nodeId: `${key}#${i}`,
          provider: sp.pool.provider,
          poolId,
          region: sp.pool.region,
          zone: sp.pool.zone,
          instanceType: sp.pool.instanceType,
          purchaseOption: option,
          state: 'running',
          gpuModel: sp.pool.gpuModel,
          gpuCount: sp.pool.gpusPerInstance,
          launchedAt: toRfc3339(view.scenario.startMs + hour * SIM_STEP_MS),
          labels: {},
          managed: true,
          protected: false,
          runningJobs: [],
        });
      }
    }
    return nodes;
  }

  return {
    name: 'optimizer',
    description: `gpu-optimizer: ${quantile} forecast, ${horizonHours}-hour LP replanned hourly from the current fleet`,
    commitments(view) {
      const out = new Map<string, number>();
      for (const c of view.scenario.classes) {
        const pool = cheapestPool(view.scenario, c.workload.id, 'reserved');
        const onDemand = pool?.usdPerHour['on-demand'];
        if (!pool || onDemand === undefined) continue;
        // Owned GPUs serve first; a commitment only covers what is left above them.
        const ownedGpus = [...view.committed].reduce((a, [key, n]) => {
          const sp = view.scenario.pools.find((p) => key.startsWith(`${p.pool.id}|`));
          return (
            a +
            (sp && key.endsWith('|on-prem') && poolServesClass(sp.pool, c.workload)
              ? n * sp.pool.gpusPerInstance
              : 0)
          );
        }, 0);
        // Commit to what the plan will hold, not to bare usage: the hour-ahead plan carries a margin over demand.
        const usage = plannedUsage(
          view.demandHistory(c.workload.id).slice(-(options.commitmentLookbackHours ?? 30 * 24)),
          { coverage, minHeadroom, trendWeight: COMMITMENT_TREND_WEIGHT },
        ).map((u) => Math.max(0, u - ownedGpus));
        // Spot takes part of the demand below the commitment; commit only to what spot cannot cheaply serve.
        const spotPerGpu = Math.min(
          ...view.scenario.pools
            .filter((p) => p.usdPerHour.spot !== undefined)
            .map((p) => Number(p.usdPerHour.spot) / p.pool.gpusPerInstance),
        );
        const reservedPerGpu = Number(pool.usdPerHour.reserved) / pool.pool.gpusPerInstance;
        const onDemandOnly = usage.map((u) =>
          spotPerGpu < reservedPerGpu ? u * (1 - c.workload.spotShare) : u,
        );
        const gpus = commitmentLevel(onDemandOnly, pool.usdPerHour.reserved!, onDemand);
        const n = Math.floor(gpus / pool.pool.gpusPerInstance);
        if (n > 0) out.set(pool.pool.id, (out.get(pool.pool.id) ?? 0) + n);
      }
      return out;
    },
    async decide(view) {
      const demand: Record<string, number[]> = {};
      const spotNeed = new Map<string, number>();
      for (const c of view.scenario.classes) {
        const ahead = demandAhead(view, c.workload.id);
        demand[c.workload.id] = ahead.path;
        spotNeed.set(c.workload.id, ahead.spotPlan);
      }
      // Work lost to this hour's interruptions is re-run now: the 2-minute notices say how much.
      let interruptedGpus = 0;
      for (const [poolId, n] of view.interruptedNow) {
        interruptedGpus +=
          n * (view.scenario.pools.find((p) => p.pool.id === poolId)?.pool.gpusPerInstance ?? 0);
      }
      if (interruptedGpus > 0) {
        const spotClasses = view.scenario.classes.filter((c) => c.workload.spotShare > 0);
        const shareSum = spotClasses.reduce((a, c) => a + c.workload.spotShare, 0);
        for (const c of spotClasses) {
          const rerun =
            (((interruptedGpus * c.workload.checkpointIntervalMinutes) / 2 / 60) * c.workload.spotShare) /
            shareSum;
          demand[c.workload.id]![0] = (demand[c.workload.id]![0] ?? 0) + rerun;
          spotNeed.set(c.workload.id, (spotNeed.get(c.workload.id) ?? 0) + rerun);
        }
      }
      options.onDemandForecast?.(
        view.hour,
        Object.values(demand).reduce((a, d) => a + (d[0] ?? 0), 0),
      );
      const spotCapacity: Record<string, number> = {};
      for (const sp of view.scenario.pools) {
        if (sp.usdPerHour.spot === undefined) continue;
        spotCapacity[sp.pool.id] =
          (view.holdings.get(holdingKey(sp.pool.id, 'spot')) ?? 0) + view.spotLaunchable(sp.pool.id);
      }
      const result = await planCapacity(
        {
          startMs: view.atMs,
          horizonHours,
          pools: view.scenario.pools.map((p) => p.pool),
          prices: scenarioQuotes(view.scenario, view.atMs),
          classes: view.scenario.classes.map((c) => c.workload),
          demand,
          fleet: currentFleet(view),
          reservedInstances: Object.fromEntries(view.reserved),
          spotCapacity,
        },
        { quantile, createdAtMs: view.atMs, planId: `sim-${view.hour}` },
      );
      options.onPlan?.(result, view);
      const planned: Holdings = new Map();
      for (const [poolId, counts] of result.instances) {
        for (const option of ['spot', 'on-demand'] as const)
          planned.set(holdingKey(poolId, option), counts[option][0] ?? 0);
      }
      const target = fitToHour(planned, {
        scenario: view.scenario,
        committed: view.committed,
        spotHeld: (poolId) => view.holdings.get(holdingKey(poolId, 'spot')) ?? 0,
        spotLaunchable: (poolId) => view.spotLaunchable(poolId),
        need: new Map(view.scenario.classes.map((c) => [c.workload.id, demand[c.workload.id]![0] ?? 0])),
        spotNeed,
      });
      for (const [key, n] of target) {
        const held = view.holdings.get(key) ?? 0;
        if (n > held)
          launchHours.set(key, [
            ...(launchHours.get(key) ?? []),
            ...new Array<number>(n - held).fill(view.hour),
          ]);
      }
      return target;
    },
  };
}
