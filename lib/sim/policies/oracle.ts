// The floor: a proved lower bound on the penalized cost of the whole run with perfect foresight (one MIP and its dual bound), and the oracle plan within a stated gap of it.
import { LpModel } from '../../optimizer/planner/lp.ts';
import { solveLp, solveMipWithBound } from '../../optimizer/planner/highs.ts';
import type { PurchaseOption } from '../../domain/pool.ts';
import { poolServesClass } from '../../domain/workload.ts';
import { simulatePolicy, type Policy } from '../engine.ts';
import {
  holdingKey,
  parseHoldingKey,
  latePenaltyPerGpuHour,
  ownedHoldings,
  priceAt,
  spotAvailableAt,
  type Holdings,
  type Scenario,
} from '../scenario.ts';
import { lateFillPool } from '../serve.ts';

export interface OracleSolution {
  /**
   * The floor, dollars: a proved lower bound on bill + P × late GPU-hours of every policy (at every P), the
   * better of the model's relaxation and the whole-run MIP's dual bound; the optimum itself when `method` is
   * "mip" (relative gap ≤ `MIP_GAP`).
   */
  floorUsd: number;
  /** How the floor was proved: the MIP solved, the MIP's dual bound when stopped, or the relaxation. */
  method: 'mip' | 'mip-bound' | 'lp-relaxation';
  /** The oracle's plan as the engine bills it (penalized cost, dollars, at the scenario's P). */
  planUsd: number;
  /** planUsd ÷ floorUsd − 1: the true optimum lies in [floor, floor × (1 + gap)]. */
  gap: number;
  /** Solver notes: fallbacks taken, limits hit, the gap. */
  notes: string[];
  reserved: Map<string, number>;
  /** Instances to hold per hour (index = hour), per pool|option (spot and on-demand). */
  holdings: Map<number, Holdings>;
}

export interface OracleOptions {
  /** Seconds the MIP may search; when it stops, its dual bound (if above the relaxation's) is the floor. */
  mipTimeLimitSeconds?: number;
  /** Models with more whole-instance variables than this are not solved as a MIP (the relaxation bounds them). */
  mipMaxIntegers?: number;
  /**
   * The MIP is searched only when the relaxation rounded up costs more than this share over the relaxation
   * (default 0.002): below it the floor and a plan within that gap are already proved, and the MIP's presolve
   * alone takes minutes on a long run (HiGHS does not stop it at the time limit). 0 always searches.
   */
  mipAboveGap?: number;
}

// A proved gap this small is exact for the figures shown (three significant digits of a ratio).
const MIP_GAP = 1e-4;
const DEFAULT_TIME_LIMIT_SECONDS = 60;
const DEFAULT_MIP_ABOVE_GAP = 0.002;
// Beyond this the wasm MIP's memory and presolve time grow past what a run on a laptop should take.
const DEFAULT_MIP_MAX_INTEGERS = 40_000;

type HeldOption = Exclude<PurchaseOption, 'on-prem'> | 'on-prem';

/** Whole instances of one kind in an hour: a variable, or a constant count (owned instances). */
interface Whole {
  name: string | undefined;
  gpus: number;
  spot: boolean;
  instances: number;
}

/**
 * A rounding (Chvátal–Gomory) cut: whole instances of g_i GPUs that must cover `gpus` GPUs,
 * Σ g_i·v_i ≥ gpus, imply Σ ⌈g_i/G⌉·v_i ≥ ⌈(gpus − owned GPUs)/G⌉ for any G > 0 (v_i ≥ 0 and integer), with G
 * the smallest instance. The relaxation alone lets a team hold 0.3 of an instance; the cut makes it pay for one.
 * Valid for every whole-instance fleet, so the optimum is unchanged and only the relaxation tightens.
 */
function roundingCut(model: LpModel, name: string, whole: readonly Whole[], gpus: number): void {
  const variables = whole.filter((w) => w.name !== undefined);
  if (variables.length === 0 || gpus <= 1e-9) return;
  const size = Math.min(...variables.map((w) => w.gpus));
  const owned = whole.reduce((a, w) => a + w.gpus * w.instances, 0);
  const rhs = Math.ceil((gpus - owned) / size - 1e-9);
  if (rhs <= 0) return;
  const terms = new Map<string, number>();
  for (const w of variables) terms.set(w.name!, (terms.get(w.name!) ?? 0) + Math.ceil(w.gpus / size - 1e-9));
  model.addRow(name, [...terms], '>=', rhs);
}

/**
 * The same objective every policy is scored on, over the billed hours, with the engine's rules as
 * constraints: whole instances; each launch (late fills too) pays its boot time; spot held at most what each
 * pool has in the hour, spot over the next hour's availability interrupted at its start with half a
 * checkpoint interval of work re-run; each class at most its spot share on spot; reserved instances held
 * and paid for every billed hour; owned on-prem instances there whatever; a shortfall filled late by whole
 * on-demand instances of the class's cheapest pool and charged P per late GPU-hour; under `dedicated`
 * sharing each team uses only whole instances of its own. Within these rules the service of an hour is
 * chosen freely, and so is which class re-runs work lost to an interruption, so no policy's run costs less
 * than the optimum. The engine serves shared capacity at the most on time too; dedicated teams it serves by
 * a greedy that can leave more late than the model, and lost work it gives to the classes that were on spot.
 */
export function buildOracleModel(scenario: Scenario): {
  model: LpModel;
  constantUsd: number;
  xVar: (poolId: string, option: 'spot' | 'on-demand', hour: number) => string | undefined;
  rVar: (poolId: string) => string | undefined;
} {
  const model = new LpModel();
  const first = scenario.warmupHours;
  const billed = scenario.hours - first;
  const usd = (micros: bigint | undefined) => Number(micros ?? 0n) / 1e6;
  const dedicated = scenario.sharing === 'dedicated' && scenario.classes.length > 1;
  const checkpointHours =
    Math.min(...scenario.classes.map((c) => c.workload.checkpointIntervalMinutes), 60 * 24) / 60;
  const rerunPerLostGpu = checkpointHours / 2;
  const owned = ownedHoldings(scenario);

  const peakGpus = Math.max(
    0,
    ...Array.from({ length: billed }, (_, k) =>
      scenario.classes.reduce((a, c) => a + (c.demandGpus[first + k] ?? 0), 0),
    ),
  );
  let constantUsd = 0;
  const xNames = new Map<string, string>();
  const rNames = new Map<string, string>();
  // Capacity variables (or constants) per hour, pool and option: [variable or undefined, constant instances].
  const capacity = (p: number, option: HeldOption, hour: number): [string | undefined, number] => {
    const sp = scenario.pools[p]!;
    if (option === 'on-prem') return [undefined, owned.get(holdingKey(sp.pool.id, 'on-prem')) ?? 0];
    if (option === 'reserved') return [rNames.get(sp.pool.id), 0];
    return [xNames.get(`${p}|${option}|${hour}`), 0];
  };

  // On-demand and reserved capacity of a pool that is the same as an earlier pool's in every respect
  // (price, size, boot time, the classes it serves; no limit) is interchangeable with it: offering it once
  // leaves the optimum unchanged and removes the symmetry that makes the MIP slow to prove.
  const signature = (sp: Scenario['pools'][number], option: 'on-demand' | 'reserved') =>
    JSON.stringify([
      option,
      String(sp.usdPerHour[option]),
      sp.pool.gpusPerInstance,
      sp.pool.bootSeconds ?? scenario.defaultBootSeconds,
      sp.pool.maxInstances ?? null,
      scenario.classes.map((c) => poolServesClass(sp.pool, c.workload)),
    ]);
  const seen = new Set<string>();
  const offered = (sp: Scenario['pools'][number], option: 'spot' | 'on-demand' | 'reserved') => {
    if (sp.usdPerHour[option] === undefined) return false;
    if (option === 'spot') return true;
    const key = signature(sp, option);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  };

  scenario.pools.forEach((sp, p) => {
    const g = sp.pool.gpusPerInstance;
    const ownedHere = owned.get(holdingKey(sp.pool.id, 'on-prem')) ?? 0;
    if (ownedHere > 0) constantUsd += usd(sp.usdPerHour['on-prem']) * ownedHere * billed;
    if (offered(sp, 'reserved')) {
      const name = model.addVariable(`r_${p}`, usd(sp.usdPerHour.reserved) * billed, {
        integer: true,
        upper: Math.ceil(peakGpus / g),
      });
      rNames.set(sp.pool.id, name);
    }
    const bootShare = (sp.pool.bootSeconds ?? scenario.defaultBootSeconds) / 3600;
    for (const option of ['spot', 'on-demand'] as const) {
      if (!offered(sp, option)) continue;
      const tag = option === 'spot' ? 'sp' : 'od';
      for (let h = first; h < scenario.hours; h++) {
        const price = usd(priceAt(sp, option, h));
        const available = option === 'spot' ? spotAvailableAt(sp, h) : Number.POSITIVE_INFINITY;
        const x = model.addVariable(`x_${p}_${tag}_${h}`, price, {
          integer: true,
          // On-demand has no upper bound: a late fill can always be held instead (see solveOracle).
          upper: available,
        });
        xNames.set(`${p}|${option}|${h}`, x);
        const l = model.addVariable(`l_${p}_${tag}_${h}`, price * bootShare);
        // Launches: what is held now over what survived from the last hour.
        const terms: [string, number][] = [
          [l, 1],
          [x, -1],
        ];
        if (h > first) {
          terms.push([xNames.get(`${p}|${option}|${h - 1}`)!, 1]);
          if (option === 'spot') {
            const before = spotAvailableAt(sp, h - 1);
            if (available < before) {
              // Spot held over this hour's availability is interrupted at its start.
              const i = model.addVariable(`i_${p}_${h}`, 0);
              model.addRow(
                `int_${p}_${h}`,
                [
                  [i, 1],
                  [xNames.get(`${p}|spot|${h - 1}`)!, -1],
                ],
                '>=',
                -available,
              );
              terms.push([i, -1]);
            }
          }
        }
        model.addRow(`launch_${p}_${tag}_${h}`, terms, '>=', 0);
      }
    }
  });

  const penalty = scenario.classes.map((c) => latePenaltyPerGpuHour(scenario, c) / 1e6);
  const options: HeldOption[] = ['on-prem', 'reserved', 'spot', 'on-demand'];
  for (let h = first; h < scenario.hours; h++) {
    // Work lost to this hour's interruptions, re-run by the classes in this hour.
    const lostTerms: [string, number][] = [];
    scenario.pools.forEach((sp, p) => {
      if (model.variables.has(`i_${p}_${h}`))
        lostTerms.push([`i_${p}_${h}`, sp.pool.gpusPerInstance * rerunPerLostGpu]);
    });
    const carried: (string | undefined)[] = scenario.classes.map((_, c) =>
      lostTerms.length > 0 ? model.addVariable(`k_${c}_${h}`, 0) : undefined,
    );
    if (lostTerms.length > 0)
      model.addRow(
        `carry_${h}`,
        [
          ...carried.map((k) => [k!, 1] as [string, number]),
          ...lostTerms.map(([n, v]) => [n, -v] as [string, number]),
        ],
        '=',
        0,
      );

    const used = new Map<string, [string, number][]>(); // capacity key -> y terms (or n terms when dedicated)
    // Whole instances of the hour (GPUs each), for the rounding cuts below: all of them, and those not on spot.
    const hourWhole: Whole[] = [];
    const hourNeed = { all: 0, notSpot: 0 };
    scenario.classes.forEach((c, ci) => {
      const classWhole: Whole[] = [];
      const demand = c.demandGpus[h] ?? 0;
      const serve: [string, number][] = [];
      const spotTerms: [string, number][] = [];
      scenario.pools.forEach((sp, p) => {
        if (!poolServesClass(sp.pool, c.workload)) return;
        const g = sp.pool.gpusPerInstance;
        for (const option of options) {
          const [variable, constant] = capacity(p, option, h);
          if (variable === undefined && constant === 0) continue;
          if (option === 'spot' && c.workload.spotShare <= 0) continue;
          const y = model.addVariable(`y_${ci}_${p}_${option.replace('-', '')}_${h}`, 0);
          serve.push([y, 1]);
          if (option === 'spot') spotTerms.push([y, 1]);
          const key = holdingKey(String(p), option);
          if (!used.has(key)) used.set(key, []);
          if (dedicated) {
            const n = model.addVariable(`n_${ci}_${p}_${option.replace('-', '')}_${h}`, 0, { integer: true });
            model.addRow(
              `ded_${ci}_${p}_${option.replace('-', '')}_${h}`,
              [
                [y, 1],
                [n, -g],
              ],
              '<=',
              0,
            );
            used.get(key)!.push([n, 1]);
            classWhole.push({ name: n, gpus: g, spot: option === 'spot', instances: 0 });
          } else used.get(key)!.push([y, 1 / g]);
        }
      });
      const k = carried[ci];
      const s = model.addVariable(`s_${ci}_${h}`, penalty[ci]!);
      const fill = lateFillPool(scenario.pools, c);
      if (fill) {
        const price = usd(priceAt(fill, 'on-demand', h));
        const boot = (fill.pool.bootSeconds ?? scenario.defaultBootSeconds) / 3600;
        const z = model.addVariable(`z_${ci}_${h}`, price * (1 + boot), { integer: true });
        const late = { name: z, gpus: fill.pool.gpusPerInstance, spot: false, instances: 0 };
        classWhole.push(late);
        hourWhole.push(late);
        model.addRow(
          `fill_${ci}_${h}`,
          [
            [z, fill.pool.gpusPerInstance],
            [s, -1],
          ],
          '>=',
          0,
        );
      }
      model.addRow(
        `demand_${ci}_${h}`,
        [...serve, [s, 1], ...(k ? [[k, -1] as [string, number]] : [])],
        '>=',
        demand,
      );
      const share = Math.min(1, Math.max(0, c.workload.spotShare));
      hourNeed.all += demand;
      hourNeed.notSpot += (1 - share) * demand;
      if (dedicated) {
        roundingCut(model, `cut_${ci}_${h}`, classWhole, demand);
        if (share > 0)
          roundingCut(
            model,
            `cutns_${ci}_${h}`,
            classWhole.filter((w) => !w.spot),
            (1 - share) * demand,
          );
      }
      if (spotTerms.length > 0 && c.workload.spotShare < 1)
        model.addRow(
          `share_${ci}_${h}`,
          [...spotTerms, ...(k ? [[k, -c.workload.spotShare] as [string, number]] : [])],
          '<=',
          c.workload.spotShare * demand,
        );
    });
    if (!dedicated) {
      // Shared: every held instance of the hour, whichever class it serves, against the hour's whole demand.
      scenario.pools.forEach((sp, p) => {
        for (const option of options) {
          const [variable, constant] = capacity(p, option, h);
          if (variable === undefined && constant === 0) continue;
          hourWhole.push({
            name: variable,
            gpus: sp.pool.gpusPerInstance,
            spot: option === 'spot',
            instances: constant,
          });
        }
      });
      roundingCut(model, `cut_${h}`, hourWhole, hourNeed.all);
      roundingCut(
        model,
        `cutns_${h}`,
        hourWhole.filter((w) => !w.spot),
        hourNeed.notSpot,
      );
    }
    for (const [key, terms] of used) {
      const { poolId: p, option } = parseHoldingKey(key) as { poolId: string; option: HeldOption };
      const [variable, constant] = capacity(Number(p), option, h);
      model.addRow(
        `cap_${p}_${option.replace('-', '')}_${h}`,
        [...terms, ...(variable ? [[variable, -1] as [string, number]] : [])],
        '<=',
        constant,
      );
    }
  }
  return {
    model,
    constantUsd,
    xVar: (poolId, option, hour) => {
      const p = scenario.pools.findIndex((sp) => sp.pool.id === poolId);
      return xNames.get(`${p}|${option}|${hour}`);
    },
    rVar: (poolId) => rNames.get(poolId),
  };
}

/**
 * What the engine's rounding to the micro-dollar can take off a run's cost against the model's exact one:
 * half a micro-dollar per launched instance (its boot charge is rounded on its own) and per class and hour
 * (the late penalty). A run's launches cost at least the cheapest boot each, so the first is relative to the
 * cost: the floor is lowered by both, and stays below every run the engine bills.
 */
function roundingAllowance(scenario: Scenario): { relative: number; usd: number } {
  let cheapestBoot = Number.POSITIVE_INFINITY;
  for (const sp of scenario.pools) {
    const boot = sp.pool.bootSeconds ?? scenario.defaultBootSeconds;
    if (boot <= 0) continue;
    for (const option of ['spot', 'on-demand'] as const)
      for (let h = scenario.warmupHours; h < scenario.hours; h++) {
        const price = priceAt(sp, option, h);
        if (price !== undefined && price > 0n)
          cheapestBoot = Math.min(cheapestBoot, (Number(price) * boot) / 3600);
      }
  }
  const billed = scenario.hours - scenario.warmupHours;
  return {
    relative: Number.isFinite(cheapestBoot) ? Math.min(1, 0.5 / cheapestBoot) : 0,
    usd: (0.5 * scenario.classes.length * billed) / 1e6,
  };
}

/** A fixed plan as a policy: the commitment and the holdings of every hour. */
function planPolicy(plan: Pick<OracleSolution, 'reserved' | 'holdings'>): Policy {
  return {
    name: 'oracle',
    description: 'a fixed plan',
    commitments: () => plan.reserved,
    decide: (view) => plan.holdings.get(view.hour) ?? new Map(),
  };
}

/** The plan in a solution's values: whole instances per pool and hour (`round` turns a value into a count). */
function planOf(
  scenario: Scenario,
  values: ReadonlyMap<string, number>,
  vars: Pick<ReturnType<typeof buildOracleModel>, 'xVar' | 'rVar'>,
  round: (v: number) => number,
): Pick<OracleSolution, 'reserved' | 'holdings'> {
  const reserved = new Map<string, number>();
  for (const sp of scenario.pools) {
    const r = vars.rVar(sp.pool.id);
    const n = r ? Math.max(0, round(values.get(r) ?? 0)) : 0;
    if (n > 0) reserved.set(sp.pool.id, n);
  }
  const holdings = new Map<number, Holdings>();
  for (let h = scenario.warmupHours; h < scenario.hours; h++) {
    const held: Holdings = new Map();
    for (const sp of scenario.pools)
      for (const option of ['spot', 'on-demand'] as const) {
        const x = vars.xVar(sp.pool.id, option, h);
        if (x) held.set(holdingKey(sp.pool.id, option), Math.max(0, round(values.get(x) ?? 0)));
      }
    holdings.set(h, held);
  }
  return { reserved, holdings };
}

/**
 * The floor of a run: a proved lower bound on the penalized cost of every policy, and the plan of the oracle
 * policy with its cost as the engine bills it.
 *
 * The bound is the better of two: the relaxation of the run's model (with the rounding cuts), and the dual
 * bound of the whole-run MIP after `mipTimeLimitSeconds` — what branch and bound has proved no whole-instance
 * fleet beats, whether or not it closed the gap. The plan is the better, as the engine bills it, of the MIP's
 * best whole-instance solution and the relaxation rounded up (always feasible). `gap` says how far the floor
 * can be below the true optimum at most: the plan's cost over the floor.
 *
 * The optimum does not depend on P: a late fill costs what holding the same on-demand instance for that hour
 * costs at the most (its price and one boot), so any fleet that is late has one not late that costs no more,
 * at every P ≥ 0 (the model puts no upper bound on on-demand instances for this reason). The floor is a bound
 * at every P, and the plan, which the engine bills with its late GPU-hours, is scored at each P on its own.
 */
export async function solveOracle(scenario: Scenario, options: OracleOptions = {}): Promise<OracleSolution> {
  const built = buildOracleModel(scenario);
  const rounding = roundingAllowance(scenario);
  const { model, constantUsd } = built;
  const notes: string[] = [];
  const relaxed = await solveLp(model.toLpText(true));
  if (relaxed.fallback) notes.push(`relaxation: ${relaxed.fallback}`);
  let boundUsd = relaxed.objective;
  let method: OracleSolution['method'] = 'lp-relaxation';
  const floorOf = (bound: number) => (constantUsd + bound) * (1 - rounding.relative) - rounding.usd;
  type Plan = Pick<OracleSolution, 'reserved' | 'holdings'>;
  let best: { label: string; plan: Plan; usd: number } | undefined;
  const consider = async (label: string, plan: Plan) => {
    const run = await simulatePolicy(scenario, planPolicy(plan));
    const usd = Number(run.penalizedCostUsd) / 1e6;
    if (!best || usd < best.usd) best = { label, plan, usd };
  };
  // The relaxation rounded up is always feasible: when it is already close to the relaxation, it and the
  // relaxation's bound are the answer within that gap.
  await consider(
    'relaxation rounded up',
    planOf(scenario, relaxed.values, built, (v) => Math.ceil(v - 1e-6)),
  );
  const roundedGap = best!.usd / floorOf(boundUsd) - 1;
  const mipAboveGap = options.mipAboveGap ?? DEFAULT_MIP_ABOVE_GAP;
  const planNames = [...model.variables.keys()].filter((n) => n.startsWith('x_') || n.startsWith('r_'));
  if (roundedGap <= mipAboveGap) {
    notes.push(
      `the relaxation rounded up is ${(100 * roundedGap).toFixed(2)} % over the relaxation: no MIP searched`,
    );
  } else if (model.integerCount <= (options.mipMaxIntegers ?? DEFAULT_MIP_MAX_INTEGERS)) {
    const limit = options.mipTimeLimitSeconds ?? DEFAULT_TIME_LIMIT_SECONDS;
    try {
      const mip = await solveMipWithBound(model.toLpText(false), planNames, {
        timeLimitSeconds: limit,
        relativeGap: MIP_GAP,
      });
      if (mip.incumbent && mip.gap <= MIP_GAP) {
        // A proved optimum within the gap: its bound is the floor.
        boundUsd = Math.max(boundUsd, mip.incumbent.objective * (1 - MIP_GAP));
        method = 'mip';
      } else {
        if (mip.dualBound > boundUsd) {
          boundUsd = mip.dualBound;
          method = 'mip-bound';
        }
        notes.push(
          `MIP stopped at ${limit} s (${mip.status}) with the bound ${(constantUsd + mip.dualBound).toFixed(2)} USD` +
            (mip.incumbent
              ? ` and a whole-instance fleet at ${(constantUsd + mip.incumbent.objective).toFixed(2)} USD`
              : ' and no whole-instance fleet yet'),
        );
      }
      if (mip.incumbent) await consider('MIP', planOf(scenario, mip.incumbent.values, built, Math.round));
    } catch (error) {
      notes.push(`MIP failed (${(error as Error).message}): the floor is the relaxation's optimum`);
    }
  } else {
    notes.push(
      `${model.integerCount} whole-instance variables: the floor is the relaxation's optimum (a bound no fleet beats)`,
    );
  }
  const floorUsd = floorOf(boundUsd);
  const gap = best!.usd / floorUsd - 1;
  notes.push(
    `floor ${floorUsd.toFixed(2)} USD (${method}); the oracle holds the ${best!.label} plan, ${(100 * gap).toFixed(2)} % over it: the exact optimum lies between them`,
  );
  return { floorUsd, method, planUsd: best!.usd, gap, notes, ...best!.plan };
}

/** The oracle as a policy: it holds the exact solution, so its run shows the floor's bill and late hours. */
export function oraclePolicy(
  scenario: Scenario,
  options: OracleOptions = {},
  /** A solution of this scenario already found (the floor does not depend on P, so one serves every P). */
  solved?: OracleSolution,
): Policy & { solution(): Promise<OracleSolution> } {
  let solving: Promise<OracleSolution> | undefined = solved ? Promise.resolve(solved) : undefined;
  const solution = () => (solving ??= solveOracle(scenario, options));
  return {
    name: 'oracle',
    description:
      'perfect foresight: the minimum of bill + P × late GPU-hours over the run (one MIP, same rules), within its stated gap',
    solution,
    async commitments() {
      return (await solution()).reserved;
    },
    async decide(view) {
      return (await solution()).holdings.get(view.hour) ?? new Map();
    },
  };
}
