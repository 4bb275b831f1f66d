// Carrying out a rebalance without stranding capacity: launches first, a failed launch falls back, and a release waits until what replaces it serves.
import type { FleetNode } from '../domain/fleet.ts';
import type { Labels } from '../domain/labels.ts';
import type { Action } from '../domain/plan.ts';
import type { Pool } from '../domain/pool.ts';
import type { Actuator } from '../domain/ports.ts';
import { priceKey, type PriceQuote } from '../domain/price.ts';
import { refusal } from '../domain/refusal.ts';
import { poolServesClass, type WorkloadClass } from '../domain/workload.ts';
import { instancesFor, replacementCandidates, throughputOf, type ReplacementCandidate } from './fallback.ts';

/** GPUs × throughput: the unit in which a shortfall is replaced by another GPU model. */
const workOf = (pool: Pool, instances: number, gpuThroughput?: Readonly<Record<string, number>>) =>
  instances * pool.gpusPerInstance * throughputOf(pool, gpuThroughput);

/** The team a pool's launch is for: the one team whose classes it serves, else none (several share it). */
export function teamServedBy(pool: Pool, classes: readonly WorkloadClass[]): string | undefined {
  const teams = new Set(classes.filter((c) => poolServesClass(pool, c)).map((c) => c.team));
  return teams.size === 1 ? [...teams][0] : undefined;
}

export interface LaunchUntilServed {
  /** Work (GPUs × throughput) to bring up. */
  work: number;
  candidates: readonly ReplacementCandidate[];
  gpuThroughput?: Readonly<Record<string, number>>;
  action(candidate: ReplacementCandidate, count: number): Action;
  labels?: Labels;
}

export interface LaunchesResult {
  actions: Action[];
  launched: FleetNode[];
  /** Work still missing when the candidates ran out (0 when served). */
  missingWork: number;
}

/**
 * Tries each candidate in turn for what is still missing: a pool out of capacity passes to the next. Stops at
 * a recommendation (nothing is launched to measure) or a refusal (the chain would refuse the next one too).
 */
export async function launchUntilServed(
  actuator: Actuator,
  request: LaunchUntilServed,
): Promise<LaunchesResult> {
  const result: LaunchesResult = { actions: [], launched: [], missingWork: request.work };
  for (const candidate of request.candidates) {
    if (result.missingWork <= 1e-9) break;
    const count = instancesFor(candidate.pool, result.missingWork, request.gpuThroughput);
    const team = request.labels?.team;
    const { action, launched } = await actuator.launch(
      { ...request.action(candidate, count), ...(team ? { team } : {}) },
      request.labels,
    );
    result.actions.push(action);
    result.launched.push(...launched);
    if (action.status === 'recommended') {
      result.missingWork = 0;
      break;
    }
    if (action.status === 'refused') break;
    result.missingWork -= workOf(candidate.pool, launched.length, request.gpuThroughput);
  }
  result.missingWork = Math.max(0, result.missingWork);
  return result;
}

export interface RebalanceActInput {
  /** Rebalance's decisions: launches, then releases from the first to let go. */
  actions: readonly Action[];
  /** Instances the plan wants now per pool id and option (every option, reserved included). */
  target: ReadonlyMap<string, Partial<Record<string, number>>>;
  fleet: readonly FleetNode[];
  pools: readonly Pool[];
  prices: readonly PriceQuote[];
  classes: readonly WorkloadClass[];
  gpuThroughput?: Readonly<Record<string, number>>;
}

/**
 * Carries out a rebalance so that a release never takes the GPUs serving the plan's pools below the plan: a
 * release goes only while what stays serving covers the plan, so capacity never drops below min(plan, held).
 * A launch's nodes serve once running (a pending node waits for the next run to see it); a launch that falls
 * short first falls back (another pool, another option, on-demand) for what the kept releases do not cover.
 */
export async function carryOutRebalance(actuator: Actuator, input: RebalanceActInput): Promise<Action[]> {
  const poolsById = new Map(input.pools.map((p) => [p.id, p]));
  const nodesById = new Map(input.fleet.map((n) => [n.nodeId, n]));
  let targetGpus = 0;
  for (const [poolId, wanted] of input.target) {
    const pool = poolsById.get(poolId);
    if (!pool) continue;
    for (const count of Object.values(wanted)) targetGpus += (count ?? 0) * pool.gpusPerInstance;
  }
  const heldGpus = input.fleet
    .filter((n) => input.target.has(n.poolId) && n.state === 'running')
    .reduce((sum, n) => sum + n.gpuCount, 0);
  // Releases keep the plan's GPUs serving; when nothing is released, the held capacity stays as it was.
  const floor = targetGpus;
  let serving = heldGpus;
  let coming = 0;
  const done: Action[] = [];
  const tried = new Set<string>();
  const shortfalls: { pool: Pool; option: NonNullable<Action['option']>; work: number; of: Action }[] = [];

  const count = (launched: readonly FleetNode[]) => {
    for (const n of launched) {
      if (n.state === 'running') serving += n.gpuCount;
      else coming += n.gpuCount;
    }
  };
  const launches = input.actions.filter((a) => a.kind === 'launch');
  const releases = input.actions.filter((a) => a.kind === 'release');

  for (const decision of launches) {
    const pool = poolsById.get(decision.poolId);
    const option = decision.option ?? 'on-demand';
    tried.add(priceKey(decision.poolId, option));
    const team = pool ? teamServedBy(pool, input.classes) : undefined;
    const { action, launched } = await actuator.launch(
      { ...decision, ...(team ? { team } : {}) },
      team ? { team } : undefined,
    );
    done.push(action);
    count(launched);
    const asked = decision.count ?? 0;
    if (!pool) continue;
    if (action.status === 'recommended') serving += asked * pool.gpusPerInstance;
    else if (action.status !== 'refused' && launched.length < asked)
      shortfalls.push({
        pool,
        option,
        work: workOf(pool, asked - launched.length, input.gpuThroughput),
        of: decision,
      });
  }

  // What the releases could take away while the floor holds; what is kept covers part of a failed launch.
  const releasingGpus = releases.reduce((sum, r) => {
    const node = nodesById.get(r.nodeIds[0] ?? '');
    return sum + (node?.state === 'running' ? node.gpuCount : 0);
  }, 0);
  let gap = targetGpus - (serving + coming - Math.max(0, Math.min(releasingGpus, serving - floor)));
  for (const short of shortfalls) {
    if (gap <= 0) break;
    const outcome = await launchUntilServed(actuator, {
      work: Math.min(short.work, gap * throughputOf(short.pool, input.gpuThroughput)),
      candidates: replacementCandidates({
        pool: short.pool,
        option: short.option,
        pools: input.pools,
        prices: input.prices,
        classes: input.classes,
        ...(input.gpuThroughput ? { gpuThroughput: input.gpuThroughput } : {}),
        tried,
      }),
      ...(input.gpuThroughput ? { gpuThroughput: input.gpuThroughput } : {}),
      ...(short.of.team ? { labels: { team: short.of.team } } : {}),
      action: (c, n) => ({
        ...short.of,
        actionId: `${short.of.actionId}:fallback:${c.pool.id}:${c.option}`,
        poolId: c.pool.id,
        option: c.option,
        count: n,
        nodeIds: [],
        reason: `fallback: ${short.of.option} in ${short.pool.id} fell short; ${n} ${c.option} instance(s) of ${c.pool.instanceType} instead`,
        status: 'recommended',
      }),
    });
    for (const a of outcome.actions) tried.add(priceKey(a.poolId, a.option ?? 'on-demand'));
    done.push(...outcome.actions);
    count(outcome.launched);
    gap -= outcome.launched.reduce((sum, n) => sum + n.gpuCount, 0);
    if (outcome.actions.some((a) => a.status === 'refused')) break;
  }

  for (const decision of releases) {
    const node = nodesById.get(decision.nodeIds[0] ?? '');
    const gpus = node?.state === 'running' ? node.gpuCount : 0;
    if (gpus > 0 && serving - gpus < floor) {
      done.push(
        await actuator.refuse(
          decision,
          refusal(
            'waits-for-launch',
            `releasing it would leave ${serving - gpus} GPUs serving, below the plan's ${targetGpus} (${heldGpus} held before this run); it goes once what replaces it serves`,
          ),
        ),
      );
      continue;
    }
    const action = await actuator.release(decision);
    if (action.status === 'done' || action.status === 'recommended') serving -= gpus;
    done.push(action);
  }
  return done;
}
