// gpu-optimizer's own policy in the simulator: the optimize run's decision (lib/optimizer/decide.ts) with the simulator as its I/O.
import type { z } from 'zod';
import type { FleetNode } from '../../domain/fleet.ts';
import type { Forecast } from '../../domain/forecast.ts';
import type { PriceQuote } from '../../domain/price.ts';
import { toRfc3339 } from '../../domain/time.ts';
import { decide, hourAheadCoverage, zDecisionConfig, type ClassEvidence } from '../../optimizer/decide.ts';
import type { PlanResult } from '../../optimizer/planner/index.ts';
import type { Policy, PolicyView } from '../engine.ts';
import {
  holdingKey,
  latePenaltyMultiplier,
  parseHoldingKey,
  SIM_STEP_MS,
  type Holdings,
  type PricedPool,
} from '../scenario.ts';
import { classFits } from './class-fits.ts';
import { cheapestPool, pooledCommitment } from './cover.ts';
import { forecastSamples, holdingMargin, plannedUsage } from './hour-ahead.ts';

export interface OptimizerPolicyOptions {
  /** The decision's settings, exactly as the optimize run takes them (its defaults when absent). */
  config?: z.input<typeof zDecisionConfig>;
  /** The forecast run refits its models this often; between refits it re-issues the last fit every hour. */
  refitEveryHours?: number;
  /** History the models are fitted on. */
  fitWindowHours?: number;
  /** Usage history the commitment is chosen from (the simulator buys it; the deployed run is told it). */
  commitmentLookbackHours?: number;
  /**
   * Add the forecast's coming hours to the month the commitment is sized on. Off by default: over the six
   * bundled traces it moved the cost by −0.6 % to +0.5 % (+0.9 % on the default run), so the month alone stands.
   */
  commitmentWithForecast?: boolean;
  /** Buy no commitment (what it buys is measured by leaving it out). */
  noCommitment?: boolean;
  /** Size the commitment class by class instead of over the teams a pool serves (the ablation's baseline). */
  commitmentPerClass?: boolean;
  /**
   * Hours before the first decision over which forecasts are issued from the history, as a deployment that has
   * been running holds them (the first hour's margin is calibrated on a week of them). Default: the hour-ahead
   * window; 0 for a deployment on its first day, whose margin is not calibrated until a day has been scored.
   */
  forecastWarmupHours?: number;
  /** How teams are forecast: with their total and reconciled (default, as the forecast run does), or each alone. */
  teamForecasts?: 'reconciled' | 'independent';
  /** Called after each solve, so `simulate` can keep plans for the report. */
  onPlan?: (plan: PlanResult, view: PolicyView) => void;
  /** Called with the demand planned for in each hour (all classes, at the quantile), for forecast vs actual. */
  onDemandForecast?: (hour: number, gpus: number) => void;
  /** Lines for the run's log (solver fallbacks, a plan that failed). */
  onLog?: (line: string) => void;
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

// A commitment is chosen from the lookback moved this far along its trend (see plannedUsage).
const COMMITMENT_TREND_WEIGHT = 0.5;

interface Fit {
  fittedAtHour: number;
  point: number[];
  p50: number[];
  p90: number[];
  p99: number[];
  model: string;
}

/** Whether spot costs less per GPU than a commitment in the pool: then spot takes its share, not the commitment. */
export function spotUndercutsCommitment(pool: PricedPool, cheapestSpotPerGpu: number): boolean {
  return cheapestSpotPerGpu < Number(pool.usdPerHour.reserved) / pool.pool.gpusPerInstance;
}

/**
 * What an hour of a committed instance displaces when spot is dearer than the commitment: the commitment then
 * covers the spot share too, so its hours would otherwise run on spot for that share and on-demand for the rest.
 * Where spot is cheaper, spot takes its share and the commitment only ever displaces on-demand (undefined).
 */
export function displacedBlend(
  pool: PricedPool,
  cheapestSpotPerGpu: number,
  classOf: (classId: string) => { spotShare: number; gpuHours: number },
  classIds: readonly string[],
): bigint | undefined {
  const onDemand = pool.usdPerHour['on-demand'];
  const noBlend =
    onDemand === undefined ||
    pool.usdPerHour.reserved === undefined ||
    !Number.isFinite(cheapestSpotPerGpu) ||
    spotUndercutsCommitment(pool, cheapestSpotPerGpu);
  if (noBlend) return undefined;
  const gpi = pool.pool.gpusPerInstance;
  const members = classIds.map(classOf);
  const weight = members.reduce((a, m) => a + m.gpuHours, 0);
  const share =
    weight > 0
      ? members.reduce((a, m) => a + m.spotShare * m.gpuHours, 0) / weight
      : members.reduce((a, m) => a + m.spotShare, 0) / Math.max(1, members.length);
  return BigInt(Math.round(share * cheapestSpotPerGpu * gpi + (1 - share) * Number(onDemand)));
}

export function optimizerPolicy(options: OptimizerPolicyOptions = {}): Policy {
  const config = zDecisionConfig.parse(options.config ?? {});
  // The owner's price of lateness is the yardstick's P unless the policy is told otherwise.
  const pricedBy = (scenario: Parameters<typeof latePenaltyMultiplier>[0]) =>
    options.config?.latePenaltyMultiplier === undefined
      ? { ...config, latePenaltyMultiplier: latePenaltyMultiplier(scenario) }
      : config;
  const refitEvery = options.refitEveryHours ?? 24;
  const fitWindow = options.fitWindowHours ?? 28 * 24;
  const fits = new Map<string, Fit>();
  const issued = new Map<string, Forecast[]>();
  const launchHours = new Map<string, number[]>();

  /** The models' fit as of `hour`: every class refitted together when due, on the history before it. */
  function fitOf(view: PolicyView, classId: string, hour: number): Fit {
    const f = fits.get(classId);
    if (f && hour >= f.fittedAtHour && hour - f.fittedAtHour < refitEvery) return f;
    const classes = view.scenario.classes.map((c) => ({
      id: c.workload.id,
      values: view.demandHistory(c.workload.id).slice(0, hour).slice(-fitWindow),
    }));
    const longest = Math.max(...classes.map((c) => c.values.length));
    const refitted = classFits({
      startMs: view.scenario.startMs + (hour - longest) * SIM_STEP_MS,
      stepMs: SIM_STEP_MS,
      horizon: config.horizonHours + refitEvery,
      classes,
      teams: options.teamForecasts ?? 'reconciled',
    });
    for (const [id, fit] of refitted) fits.set(id, { ...fit, fittedAtHour: hour });
    return fits.get(classId)!;
  }

  /** What the forecast run would have stored by `hour`: a forecast issued that hour. */
  function issueForecast(view: PolicyView, classId: string, hour = view.hour): Forecast {
    const f = fitOf(view, classId, hour);
    const offset = hour - f.fittedAtHour;
    const atMs = view.scenario.startMs + hour * SIM_STEP_MS;
    const forecast: Forecast = {
      classId,
      issuedAt: toRfc3339(atMs),
      stepSeconds: 3600,
      model: f.model,
      scores: [],
      steps: f.point.slice(offset).map((point, k) => ({
        at: toRfc3339(atMs + k * SIM_STEP_MS),
        point: Math.max(0, point),
        p50: Math.max(0, f.p50[offset + k] ?? point),
        p90: Math.max(0, f.p90[offset + k] ?? point),
        p99: Math.max(0, f.p99[offset + k] ?? point),
      })),
    };
    const list = issued.get(classId) ?? [];
    list.push(forecast);
    // Only the hour-ahead window is ever read back.
    while (list.length > config.hourAhead.windowHours + 1) list.shift();
    issued.set(classId, list);
    return forecast;
  }

  /** The forecasts a running deployment issued before the first decision, from the history alone. */
  let warmedUp = false;
  function warmUp(view: PolicyView): void {
    if (warmedUp) return;
    warmedUp = true;
    const hours = options.forecastWarmupHours ?? config.hourAhead.windowHours;
    // A forecast needs a day of history behind it.
    for (let hour = Math.max(24, view.hour - hours); hour < view.hour; hour++)
      for (const c of view.scenario.classes) issueForecast(view, c.workload.id, hour);
  }

  function evidenceOf(view: PolicyView, classId: string): ClassEvidence {
    const history = view.demandHistory(classId);
    const from = Math.max(0, view.hour - config.hourAhead.windowHours);
    const past = issued.get(classId) ?? [];
    const latest = issueForecast(view, classId);
    return {
      latest,
      actual: history.slice(from).map((gpus, i) => ({
        hourStartMs: view.scenario.startMs + (from + i) * SIM_STEP_MS,
        gpus,
      })),
      pastForecasts: past.filter((f) => f !== latest),
    };
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
    description: `gpu-optimizer: the optimize run's decision (${config.quantile} forecast, first hour from the week's misses, ${config.horizonHours}-hour plan) every hour`,
    commitments(view) {
      if (options.noCommitment) return new Map();
      const priced = pricedBy(view.scenario);
      const pools = view.scenario.pools.map((p) => p.pool);
      const quotes = scenarioQuotes(view.scenario, view.atMs);
      // Spot takes its share of the demand below the commitment when it is cheaper than committing.
      const spotPerGpu = Math.min(
        ...view.scenario.pools
          .filter((p) => p.usdPerHour.spot !== undefined)
          .map((p) => Number(p.usdPerHour.spot) / p.pool.gpusPerInstance),
      );
      const workloadOf = (classId: string) =>
        view.scenario.classes.find((x) => x.workload.id === classId)!.workload;
      const lookbackOf = (classId: string) =>
        view.demandHistory(classId).slice(-(options.commitmentLookbackHours ?? 30 * 24));
      return pooledCommitment(
        view,
        (classId) => {
          const workload = workloadOf(classId);
          const pool = cheapestPool(view.scenario, classId, 'reserved');
          if (!pool) return undefined;
          const nonSpot = spotUndercutsCommitment(pool, spotPerGpu) ? 1 - workload.spotShare : 1;
          const lookback = lookbackOf(classId);
          const plan = {
            coverage: hourAheadCoverage(priced, workload, pools, quotes),
            minHeadroom: config.hourAhead.minHeadroom,
            trendWeight: COMMITMENT_TREND_WEIGHT,
          };
          // Commit to what the plan will hold, not to bare usage: the hour-ahead plan carries a margin over demand.
          // Its distribution: the past month's hours moved along the trend (and, when asked, the forecast's coming
          // hours at spread quantiles, every class at the same quantile in a sample so the sum keeps its swings).
          const hold = holdingMargin(lookback, plan);
          const ahead = options.commitmentWithForecast
            ? forecastSamples(fitOf(view, classId, view.hour), view.hour)
            : [];
          return [...plannedUsage(lookback, plan), ...ahead.map(hold)].map((u) => u * nonSpot);
        },
        options.commitmentPerClass,
        (pool, classIds) =>
          displacedBlend(
            pool,
            spotPerGpu,
            (classId) => ({
              spotShare: workloadOf(classId).spotShare,
              gpuHours: lookbackOf(classId).reduce((a, b) => a + b, 0),
            }),
            classIds,
          ),
      );
    },
    async decide(view) {
      warmUp(view);
      const evidence = new Map(
        view.scenario.classes.map((c) => [c.workload.id, evidenceOf(view, c.workload.id)]),
      );
      const spotCapacity: Record<string, number> = {};
      for (const sp of view.scenario.pools) {
        if (sp.usdPerHour.spot === undefined) continue;
        spotCapacity[sp.pool.id] =
          (view.holdings.get(holdingKey(sp.pool.id, 'spot')) ?? 0) + view.spotLaunchable(sp.pool.id);
      }
      let decision;
      try {
        decision = await decide(
          {
            startMs: view.atMs,
            pools: view.scenario.pools.map((p) => p.pool),
            prices: scenarioQuotes(view.scenario, view.atMs),
            classes: view.scenario.classes.map((c) => c.workload),
            evidence,
            fleet: currentFleet(view),
            spotCapacity,
            sharing: view.scenario.sharing,
          },
          { ...pricedBy(view.scenario), reservedInstances: Object.fromEntries(view.reserved) },
          { planId: `sim-${view.hour}`, createdAtMs: view.atMs },
        );
      } catch (error) {
        // A plan that fails never fails the run: the fleet is held as it is, and the log says so.
        options.onLog?.(
          `optimizer: hour ${view.hour}: no plan (${(error as Error).message}); the fleet is held as it is`,
        );
        return new Map([...view.holdings].filter(([key]) => /\|(spot|on-demand)$/.test(key)));
      }
      for (const c of decision.result.stats.components)
        if (c.fallback) options.onLog?.(`optimizer: hour ${view.hour}: ${c.fallback}`);
      options.onDemandForecast?.(
        view.hour,
        Object.values(decision.demand).reduce((a, d) => a + (d[0] ?? 0), 0),
      );
      options.onPlan?.(decision.result, view);
      const target: Holdings = new Map();
      for (const [poolId, counts] of decision.result.instances) {
        for (const option of ['spot', 'on-demand'] as const)
          target.set(holdingKey(poolId, option), counts[option][0] ?? 0);
      }
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
