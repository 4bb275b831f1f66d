// The simulated optimizer's fit of the hour it is about to hold, and the usage its commitment is chosen from.
import { hourlyChanges, upperQuantile } from '../../optimizer/hour-ahead.ts';
import type { Fleetscape, Holdings, PricedPool } from '../scenario.ts';
import { holdingKey, parseHoldingKey } from '../scenario.ts';
import { serveHour } from '../serve.ts';

export interface FitInput {
  scenario: Fleetscape;
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
    serveHour(scenario.pools, scenario.classes, need, fleet, scenario.sharing).classes.reduce(
      (a, s) => a + s.shortfallGpus,
      0,
    );
  const covered = () => shortfall(input.need) <= 1e-9;
  const add = (key: string, n: number) => fleet.set(key, (fleet.get(key) ?? 0) + n);
  const room = (poolId: string) =>
    input.spotHeld(poolId) + input.spotLaunchable(poolId) - (fleet.get(holdingKey(poolId, 'spot')) ?? 0);
  const spotPerGpu = (p: PricedPool) => Number(p.usdPerHour.spot) / p.pool.gpusPerInstance;
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
