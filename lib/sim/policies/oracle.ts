// The floor: the fleet that minimises the penalized cost of the whole run with perfect foresight, solved exactly as one MIP.
import { LpModel } from '../../optimizer/planner/lp.ts';
import { solveLp, type LpSolution } from '../../optimizer/planner/highs.ts';
import type { PurchaseOption } from '../../domain/pool.ts';
import { poolServesClass } from '../../domain/workload.ts';
import type { Policy } from '../engine.ts';
import {
  holdingKey,
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
   * The floor, dollars: the bound of the MIP's proved optimum of bill + P × late GPU-hours (relative gap ≤
   * `MIP_GAP`), else the LP relaxation's optimum, which no whole-instance fleet can beat either.
   */
  floorUsd: number;
  /** How the floor was found, for the run's log. */
  method: 'mip' | 'lp-relaxation';
  /** Solver notes: fallbacks taken, limits hit. */
  notes: string[];
  reserved: Map<string, number>;
  /** Instances to hold per hour (index = hour), per pool|option (spot and on-demand). */
  holdings: Map<number, Holdings>;
}

export interface OracleOptions {
  /** Seconds the MIP may take before the relaxation's optimum is used as the floor. */
  mipTimeLimitSeconds?: number;
  /** Models with more whole-instance variables than this are not solved as a MIP (the relaxation bounds them). */
  mipMaxIntegers?: number;
}

// A proved gap this small is exact for the figures shown (three significant digits of a ratio).
const MIP_GAP = 1e-4;
const DEFAULT_TIME_LIMIT_SECONDS = 30;
// The wasm MIP proves small runs in seconds; a month of hours with thousands of integers it does not.
const DEFAULT_MIP_MAX_INTEGERS = 400;

type HeldOption = Exclude<PurchaseOption, 'on-prem'> | 'on-prem';

/**
 * The same objective every policy is scored on, over the billed hours, with the engine's rules as
 * constraints: whole instances; each launch (late fills too) pays its boot time; spot held at most what each
 * pool has in the hour, spot over the next hour's availability interrupted at its start with half a
 * checkpoint interval of work re-run; each class at most its spot share on spot; reserved instances held
 * and paid for every billed hour; owned on-prem instances there whatever; a shortfall filled late by whole
 * on-demand instances of the class's cheapest pool and charged P per late GPU-hour; under `dedicated`
 * sharing each team uses only whole instances of its own. Within these rules the service of an hour is
 * chosen freely (the engine serves greedily), so no policy's run costs less than the optimum.
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
          upper: Number.isFinite(available) ? available : Math.ceil(peakGpus / g) + 1,
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
    scenario.classes.forEach((c, ci) => {
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
          const key = `${p}|${option}`;
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
      if (spotTerms.length > 0 && c.workload.spotShare < 1)
        model.addRow(
          `share_${ci}_${h}`,
          [...spotTerms, ...(k ? [[k, -c.workload.spotShare] as [string, number]] : [])],
          '<=',
          c.workload.spotShare * demand,
        );
    });
    for (const [key, terms] of used) {
      const [p, option] = key.split('|') as [string, HeldOption];
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
 * The floor of a run. The LP relaxation of the run's model is solved always: its optimum is a bound no
 * whole-instance fleet can beat. A model small enough (`mipMaxIntegers`) is solved as a MIP too; a proved
 * optimum (relative gap ≤ `MIP_GAP`, the floor taken at the bound) is the exact floor. The plan held by the
 * oracle policy is the MIP's, else the relaxation's rounded up (always feasible).
 */
export async function solveOracle(scenario: Scenario, options: OracleOptions = {}): Promise<OracleSolution> {
  const { model, constantUsd, xVar, rVar } = buildOracleModel(scenario);
  const notes: string[] = [];
  const relaxed = await solveLp(model.toLpText(true));
  if (relaxed.fallback) notes.push(`relaxation: ${relaxed.fallback}`);
  let mip: LpSolution | undefined;
  if (model.integerCount <= (options.mipMaxIntegers ?? DEFAULT_MIP_MAX_INTEGERS)) {
    try {
      const solved = await solveLp(model.toLpText(false), {
        mip_rel_gap: MIP_GAP,
        time_limit: options.mipTimeLimitSeconds ?? DEFAULT_TIME_LIMIT_SECONDS,
      });
      if (solved.fallback) notes.push(`MIP: ${solved.fallback}`);
      if (solved.status === 'Optimal') mip = solved;
      else notes.push(`MIP stopped with "${solved.status}": the floor is the relaxation's optimum`);
    } catch (error) {
      notes.push(`MIP failed (${(error as Error).message}): the floor is the relaxation's optimum`);
    }
  } else {
    notes.push(
      `${model.integerCount} whole-instance variables: the floor is the relaxation's optimum (a bound no fleet beats), the plan its rounding up`,
    );
  }
  const plan = mip ?? relaxed;
  const round = (v: number | undefined) => (mip ? Math.round(v ?? 0) : Math.ceil((v ?? 0) - 1e-6));
  const reserved = new Map<string, number>();
  for (const sp of scenario.pools) {
    const r = rVar(sp.pool.id);
    const n = r ? Math.max(0, round(plan.values.get(r))) : 0;
    if (n > 0) reserved.set(sp.pool.id, n);
  }
  const holdings = new Map<number, Holdings>();
  for (let h = scenario.warmupHours; h < scenario.hours; h++) {
    const held: Holdings = new Map();
    for (const sp of scenario.pools) {
      for (const option of ['spot', 'on-demand'] as const) {
        const x = xVar(sp.pool.id, option, h);
        if (x) held.set(holdingKey(sp.pool.id, option), Math.max(0, round(plan.values.get(x))));
      }
    }
    holdings.set(h, held);
  }
  return {
    // A proved MIP optimum is within the gap of the true one: its bound is the floor.
    floorUsd: constantUsd + (mip ? mip.objective * (1 - MIP_GAP) : relaxed.objective),
    method: mip ? 'mip' : 'lp-relaxation',
    notes,
    reserved,
    holdings,
  };
}

/** The oracle as a policy: it holds the exact solution, so its run shows the floor's bill and late hours. */
export function oraclePolicy(
  scenario: Scenario,
  options: OracleOptions = {},
): Policy & { solution(): Promise<OracleSolution> } {
  let solving: Promise<OracleSolution> | undefined;
  const solution = () => (solving ??= solveOracle(scenario, options));
  return {
    name: 'oracle',
    description:
      'perfect foresight: the exact minimum of bill + P × late GPU-hours over the run (one MIP, same rules)',
    solution,
    async commitments() {
      return (await solution()).reserved;
    },
    async decide(view) {
      return (await solution()).holdings.get(view.hour) ?? new Map();
    },
  };
}
