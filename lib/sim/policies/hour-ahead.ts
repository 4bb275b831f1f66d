// The optimizer's plan for the hour it is about to hold: how much demand to cover, and how much spot to keep for a rise.
import type { Holdings, Scenario, SimPool } from '../scenario.ts';
import { holdingKey, parseHoldingKey } from '../scenario.ts';
import { serveHour } from '../serve.ts';

/** The value below which a `q` share of `values` lie (the highest for q = 1); 0 when there are none. */
export function upperQuantile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.floor(q * sorted.length)))]!;
}

/** How much demand rose (or fell) from each hour to the next over the last `windowHours` of `history`. */
export function hourlyChanges(history: readonly number[], windowHours: number): number[] {
  const changes: number[] = [];
  for (let h = Math.max(1, history.length - windowHours); h < history.length; h++)
    changes.push(history[h]! - history[h - 1]!);
  return changes;
}

export interface HourAheadInput {
  /** Demand of the hours before the one planned for. */
  history: readonly number[];
  /** The model's forecast for the hour, already moved by its last miss. */
  forecast: number;
  /** Recent misses of that forecast (actual − forecast); too few (under `minSamples`) and the forecast stands alone. */
  forecastMisses: readonly number[];
  /** Share of recent hours the plan should have covered. */
  coverage: number;
  /** The plan is at least this share above the last hour's demand. */
  minHeadroom: number;
  /** Spot is kept for the largest recent miss, at most this many times the coverage margin. */
  spotMarginFactor: number;
  windowHours: number;
  minSamples: number;
}

export interface HourAhead {
  /** Demand the hour's fleet must serve: the capacity plan covers this. */
  plan: number;
  /** Demand spot should be held for as well, when the pools can launch it (≥ plan). */
  spotPlan: number;
}

/**
 * Two one-hour-ahead predictors, each with a margin learnt from its own recent misses: the model's forecast,
 * and the last hour's demand (persistence), whose misses are the hour-to-hour changes. The model follows the
 * daily cycle; persistence keeps the plan from dropping below the last hour when the model expects a fall
 * that does not come. The plan takes the higher of the two.
 *
 * Spot costs a fraction of on-demand, but each class may run only its spot share on spot, so spot held over
 * the plan serves that share of a rise above it. Holding spot for the largest miss of the week (bounded, as
 * one sudden jump would otherwise set the margin for a week) cuts late work at a small cost.
 */
export function planHourAhead(input: HourAheadInput): HourAhead {
  const last = input.history[input.history.length - 1] ?? 0;
  const changes = hourlyChanges(input.history, input.windowHours);
  const useModel = input.forecastMisses.length >= input.minSamples;
  const margin = (misses: readonly number[]) => upperQuantile(misses, input.coverage);
  const spotMargin = (misses: readonly number[]) =>
    Math.min(upperQuantile(misses, 1), input.spotMarginFactor * Math.max(0, margin(misses)));

  let plan = Math.max(input.forecast, last * (1 + input.minHeadroom));
  if (changes.length > 0) plan = Math.max(plan, last + margin(changes));
  if (useModel) plan = Math.max(plan, input.forecast + margin(input.forecastMisses));

  let spotPlan = plan;
  if (changes.length > 0) spotPlan = Math.max(spotPlan, last + spotMargin(changes));
  if (useModel) spotPlan = Math.max(spotPlan, input.forecast + spotMargin(input.forecastMisses));
  return { plan: Math.max(0, plan), spotPlan: Math.max(0, spotPlan) };
}

export interface FitInput {
  scenario: Scenario;
  /** Owned and committed instances, per pool|option: held whatever the plan says. */
  committed: ReadonlyMap<string, number>;
  /** Spot instances held now per pool, and how many more a launch would get. */
  spotHeld: (poolId: string) => number;
  spotLaunchable: (poolId: string) => number;
  /** GPUs per class the hour must serve, and the (higher) GPUs per class spot is held for. */
  need: ReadonlyMap<string, number>;
  spotNeed: ReadonlyMap<string, number>;
}

/**
 * Adjusts the plan's first hour (spot and on-demand instances per pool|option) to the hour it will be held for.
 * The planner rounds each pool up on its own and spreads spot over pools; the hour needs only the sum:
 * 1. on-demand that the hour's demand does not need is not held;
 * 2. on-demand becomes spot where a pool can launch it and the hour's demand stays covered;
 * 3. spot is added, where pools can launch it, while it serves more of `spotNeed`.
 * A plan that does not cover the hour's demand keeps its on-demand as it is.
 */
export function fitToHour(target: ReadonlyMap<string, number>, input: FitInput): Holdings {
  const { scenario } = input;
  const fleet = new Map<string, number>([...input.committed, ...target]);
  const shortfall = (need: ReadonlyMap<string, number>) =>
    serveHour(scenario.pools, scenario.classes, need, fleet).classes.reduce((a, s) => a + s.shortfallGpus, 0);
  const covered = () => shortfall(input.need) <= 1e-9;
  const add = (key: string, n: number) => fleet.set(key, (fleet.get(key) ?? 0) + n);
  const room = (poolId: string) =>
    input.spotHeld(poolId) + input.spotLaunchable(poolId) - (fleet.get(holdingKey(poolId, 'spot')) ?? 0);
  const spotPerGpu = (p: SimPool) => Number(p.usdPerHour.spot) / p.pool.gpusPerInstance;
  // Cheapest spot per GPU first; among equals, the pool with the most room, which spreads the fleet.
  const spotKeys = () =>
    scenario.pools
      .filter((p) => p.usdPerHour.spot !== undefined && room(p.pool.id) > 0)
      .sort((a, b) => spotPerGpu(a) - spotPerGpu(b) || room(b.pool.id) - room(a.pool.id))
      .map((p) => holdingKey(p.pool.id, 'spot'));
  const onDemandKeys = () =>
    [...fleet.keys()]
      .filter((k) => parseHoldingKey(k).option === 'on-demand' && (fleet.get(k) ?? 0) > 0)
      .sort((a, b) => fleet.get(b)! - fleet.get(a)!);
  const swap = (od: string, spot: string): [string, number][] => [
    [od, -1],
    [spot, 1],
  ];
  /** Applies a change if `keep` holds after it, else undoes it. */
  const tryChange = (changes: [string, number][], keep: () => boolean) => {
    for (const [key, n] of changes) add(key, n);
    if (keep()) return true;
    for (const [key, n] of changes) add(key, -n);
    return false;
  };

  if (covered()) {
    for (const od of onDemandKeys()) while ((fleet.get(od) ?? 0) > 0 && tryChange([[od, -1]], covered));
    const swapOne = () =>
      onDemandKeys().some((od) => spotKeys().some((spot) => tryChange(swap(od, spot), covered)));
    while (swapOne());
  }

  let short = shortfall(input.spotNeed);
  const lessShort = () => {
    const next = shortfall(input.spotNeed);
    if (next >= short - 1e-9) return false;
    short = next;
    return true;
  };
  while (short > 1e-9 && spotKeys().some((spot) => tryChange([[spot, 1]], lessShort)));

  const out: Holdings = new Map();
  for (const [key, n] of fleet) {
    const { option } = parseHoldingKey(key);
    if (option === 'spot' || option === 'on-demand') out.set(key, n);
  }
  return out;
}

/** Least-squares slope of a series per step (0 for fewer than two values). */
export function trendPerStep(values: readonly number[]): number {
  const n = values.length;
  if (n < 2) return 0;
  const meanX = (n - 1) / 2;
  const meanY = values.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  values.forEach((y, x) => {
    sxy += (x - meanX) * (y - meanY);
    sxx += (x - meanX) ** 2;
  });
  return sxy / sxx;
}

/**
 * What the plan will hold in each hour of a lookback, for choosing a commitment: the usage moved `trendWeight`
 * of the way along its linear trend to the level at the lookback's end (a month's slide says something about
 * the coming weeks, but not all), plus the margin the hour-ahead plan carries over demand.
 */
export function plannedUsage(
  lookback: readonly number[],
  options: { coverage: number; minHeadroom: number; trendWeight: number },
): number[] {
  const slope = trendPerStep(lookback);
  const margin = Math.max(0, upperQuantile(hourlyChanges(lookback, lookback.length), options.coverage));
  return lookback.map((u, x) => {
    const level = Math.max(0, u + options.trendWeight * slope * (lookback.length - 1 - x));
    return level + Math.max(margin, options.minHeadroom * level);
  });
}
