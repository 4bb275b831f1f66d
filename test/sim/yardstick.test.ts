// The yardstick itself: late work is paid for (boot and penalty), no policy sees the future, no policy beats the floor.
import { describe, expect, it } from 'vitest';
import { costForSeconds } from '../../lib/domain/money.ts';
import { policyView, simulatePolicy, type Policy, type PolicyView } from '../../lib/sim/engine.ts';
import {
  onDemandPeakPolicy,
  reactiveOnDemandPolicy,
  spotFirstPolicy,
  spotReservedPolicy,
} from '../../lib/sim/policies/baselines.ts';
import { optimizerPolicy } from '../../lib/sim/policies/optimizer.ts';
import { oraclePolicy, solveOracle } from '../../lib/sim/policies/oracle.ts';
import { holdingKey, type Scenario } from '../../lib/sim/scenario.ts';
import { twoZoneScenario } from './builders.ts';

const OD = 24_480_000n; // p3.16xlarge on-demand, micro-dollars per hour

function flatScenario(demand: number, hours = 30, warmupHours = 24): Scenario {
  return twoZoneScenario({
    name: 'flat',
    hours,
    warmupHours,
    demand: Array<number>(hours).fill(demand),
    spotA: Array<number>(hours).fill(0),
    spotB: Array<number>(hours).fill(0),
    prices: { onDemand: OD, reservedA: 15_000_000n, spotA: 9_000_000n, spotB: 7_500_000n },
  });
}

const holdNothing: Policy = { name: 'nothing', description: 'holds nothing', decide: () => new Map() };

describe('late work is paid for', () => {
  it('a late fill pays its boot time like any launch', async () => {
    const scenario = flatScenario(12); // 12 GPUs: two 8-GPU instances filled late each hour
    const run = await simulatePolicy(scenario, holdNothing);
    const billed = scenario.hours - scenario.warmupHours;
    const perHour = 2n * (OD + costForSeconds(OD, 300));
    expect(run.costUsd).toBe(perHour * BigInt(billed));
    expect(run.lateGpuHours).toBeCloseTo(12 * billed, 9);
    // Holding the same two instances all along pays the boot once, not every hour: late is dearer.
    const hold: Policy = {
      name: 'hold',
      description: '',
      decide: () => new Map([[holdingKey('a', 'on-demand'), 2]]),
    };
    const held = await simulatePolicy(scenario, hold);
    expect(held.costUsd).toBeLessThan(run.costUsd);
    expect(held.lateGpuHours).toBe(0);
  });

  it('the headline adds P × late GPU-hours, P in on-demand GPU-hours of the cheapest pool', async () => {
    const base = flatScenario(12);
    const at = async (multiplier: number) =>
      simulatePolicy({ ...base, latePenaltyMultiplier: multiplier }, holdNothing);
    const [p0, p1, p3] = await Promise.all([at(0), at(1), at(3)]);
    const lateGpuHours = 12 * (base.hours - base.warmupHours);
    expect(p0.penalizedCostUsd).toBe(p0.costUsd);
    expect(p1.latePenaltyUsd).toBe((OD / 8n) * BigInt(lateGpuHours));
    expect(p3.latePenaltyUsd).toBe(3n * p1.latePenaltyUsd);
    expect(p3.penalizedCostUsd).toBe(p3.costUsd + p3.latePenaltyUsd);
    expect(p1.penalizedCostUsd).toBeGreaterThan(p1.costUsd);
  });

  it('being late is never cheaper than holding capacity once the penalty counts', async () => {
    const scenario = flatScenario(16);
    const late = await simulatePolicy(scenario, holdNothing);
    const hold: Policy = {
      name: 'hold',
      description: '',
      decide: () => new Map([[holdingKey('a', 'on-demand'), 2]]),
    };
    const held = await simulatePolicy(scenario, hold);
    expect(held.penalizedCostUsd).toBeLessThan(late.penalizedCostUsd);
    expect(late.penalizedCostUsd - held.penalizedCostUsd).toBeGreaterThan(late.latePenaltyUsd);
  });
});

/** Every number a policy can reach from a view: fields, arrays, and what its functions answer. */
function reachable(view: PolicyView, ids: { classes: string[]; pools: string[] }): Set<number> {
  const out = new Set<number>();
  const seen = new Set<unknown>();
  const walk = (v: unknown) => {
    if (typeof v === 'number') out.add(v);
    else if (typeof v === 'bigint') out.add(Number(v));
    else if (v && typeof v === 'object' && !seen.has(v)) {
      seen.add(v);
      if (v instanceof Map) for (const entry of v) walk(entry);
      else for (const x of Object.values(v)) walk(x);
    }
  };
  walk(view);
  for (const c of ids.classes) walk(view.demandHistory(c));
  for (const p of ids.pools) walk([view.spotPriceHistory(p), view.spotLaunchable(p)]);
  return out;
}

describe('views without the future', () => {
  // Demand and spot availability with a value no other figure takes, so a leaked hour is recognisable.
  const hours = 40;
  const base = twoZoneScenario({
    name: 'marked',
    hours,
    warmupHours: 10,
    demand: Array.from({ length: hours }, (_, h) => 1000.5 + h * 7.25),
    spotA: Array.from({ length: hours }, (_, h) => 5000 + h * 3),
    spotB: Array.from({ length: hours }, (_, h) => 9000 + h * 3),
    prices: { onDemand: OD, reservedA: 15_000_000n, spotA: 9_000_000n, spotB: 7_500_000n },
  });
  const scenario: Scenario = {
    ...base,
    pools: base.pools.map((p, i) => ({
      ...p,
      spotUsdPerHourSeries: Array.from({ length: hours }, (_, h) =>
        BigInt(3_000_001 + i * 100_000 + h * 1_000),
      ),
    })),
  };
  const futureOf = (hour: number) => {
    const future = new Set<number>();
    for (let h = hour; h < hours; h++) future.add(scenario.classes[0]!.demandGpus[h]!);
    for (let h = hour + 1; h < hours; h++)
      for (const p of scenario.pools) {
        future.add(p.spotAvailable![h]!);
        future.add(Number(p.spotUsdPerHourSeries![h]!));
      }
    return future;
  };
  const audit = async (view?: typeof policyView) => {
    const leaks: string[] = [];
    const auditor: Policy = {
      name: 'auditor',
      description: 'reads everything it is given',
      decide(v) {
        const seen = reachable(v, { classes: ['train'], pools: ['a', 'b'] });
        for (const x of futureOf(v.hour)) if (seen.has(x)) leaks.push(`hour ${v.hour}: ${x}`);
        return new Map();
      },
    };
    await simulatePolicy(scenario, auditor, view ? { view } : {});
    return leaks;
  };

  it('a policy reaches no demand of its hour or later and no later spot price or availability', async () => {
    expect(await audit()).toEqual([]);
  });

  it('a one-hour leak of demand is caught', async () => {
    const leaky: typeof policyView = (s, hour, state) => ({
      ...policyView(s, hour, state),
      demandHistory: (classId) =>
        s.classes.find((c) => c.workload.id === classId)!.demandGpus.slice(0, hour + 1),
    });
    expect((await audit(leaky)).length).toBeGreaterThan(0);
  });

  it('a one-hour leak of spot availability or price is caught', async () => {
    const leaky: typeof policyView = (s, hour, state) => ({
      ...policyView(s, hour + 1 < s.hours ? hour + 1 : hour, state),
      hour,
      demandHistory: (classId) => s.classes.find((c) => c.workload.id === classId)!.demandGpus.slice(0, hour),
    });
    expect((await audit(leaky)).length).toBeGreaterThan(0);
  });
});

/** A small random scenario: two zones, a few billed hours, whole 8-GPU instances. */
function randomScenario(seed: number): Scenario {
  let x = seed * 9301 + 49297;
  const rand = () => (x = (x * 9301 + 49297) % 233280) / 233280;
  const hours = 30;
  const warmupHours = 24;
  return {
    ...twoZoneScenario({
      name: `random-${seed}`,
      hours,
      warmupHours,
      demand: Array.from({ length: hours }, () => Math.round(rand() * 40 * 10) / 10),
      spotA: Array.from({ length: hours }, () => Math.floor(rand() * 4)),
      spotB: Array.from({ length: hours }, () => Math.floor(rand() * 4)),
      prices: {
        onDemand: OD,
        reservedA: BigInt(Math.round(12_000_000 + rand() * 14_000_000)),
        spotA: BigInt(Math.round(5_000_000 + rand() * 10_000_000)),
        spotB: BigInt(Math.round(5_000_000 + rand() * 10_000_000)),
      },
    }),
    latePenaltyMultiplier: [0, 1, 3][seed % 3],
  };
}

/** The random scenario with a second class, `serve`, that may not run on spot; shared or dedicated instances. */
function twoClassScenario(seed: number, sharing: 'shared' | 'dedicated'): Scenario {
  const base = randomScenario(seed);
  let x = seed * 7919 + 13;
  const rand = () => (x = (x * 9301 + 49297) % 233280) / 233280;
  const train = base.classes[0]!;
  return {
    ...base,
    name: `${base.name}-${sharing}`,
    sharing,
    classes: [
      train,
      {
        workload: { ...train.workload, id: 'serve', team: 'web', spotShare: 0 },
        demandGpus: train.demandGpus.map(() => Math.round(rand() * 20 * 10) / 10),
      },
    ],
  };
}

const everyPolicy = (): Policy[] => [
  onDemandPeakPolicy(),
  reactiveOnDemandPolicy({ headroom: 0 }),
  reactiveOnDemandPolicy({ headroom: 0.3 }),
  spotFirstPolicy({ headroom: 0.2 }),
  spotReservedPolicy({ headroom: 0.1 }),
  optimizerPolicy({ config: { horizonHours: 6 } }),
  holdNothing,
];

// The floor's tests search the MIP whatever the rounded relaxation costs: exactness is what they check.
const EXACT = { mipAboveGap: 0 };

describe('the exact floor', () => {
  it('two classes sharing instances: no policy beats the floor, and the oracle attains it', async () => {
    for (let seed = 1; seed <= 4; seed++) {
      const scenario = twoClassScenario(seed, 'shared');
      const solution = await solveOracle(scenario, EXACT);
      expect(solution.method, `seed ${seed}`).toBe('mip');
      const floor = solution.floorUsd * 1e6;
      for (const policy of everyPolicy()) {
        const run = await simulatePolicy(scenario, policy);
        expect(Number(run.penalizedCostUsd), `seed ${seed} ${policy.name}`).toBeGreaterThanOrEqual(floor - 1);
      }
      // The engine serves the held fleet as well as the model may: the oracle's whole-instance plan costs the floor.
      const oracle = await simulatePolicy(scenario, oraclePolicy(scenario, EXACT));
      expect(Number(oracle.penalizedCostUsd) / floor, `seed ${seed}`).toBeLessThan(1.0002);
      expect(solution.gap, `seed ${seed}`).toBeLessThan(2e-4);
    }
  }, 120_000);

  it('dedicated instances, a MIP stopped early, any P: the floor stays below every policy and states its gap', async () => {
    for (let seed = 1; seed <= 3; seed++) {
      const scenario = twoClassScenario(seed, 'dedicated');
      // A search stopped at once proves little: the floor is then its bound or the relaxation's, never more.
      const early = await solveOracle(scenario, { ...EXACT, mipTimeLimitSeconds: 0.001 });
      const exact = await solveOracle(scenario, EXACT);
      expect(early.floorUsd).toBeLessThanOrEqual(exact.floorUsd + 1e-6);
      expect(exact.gap).toBeGreaterThanOrEqual(-1e-6);
      for (const p of [0, 1, 10]) {
        const at: Scenario = { ...scenario, latePenaltyMultiplier: p };
        // The optimum does not depend on P: one solve's floor holds at every P.
        expect((await solveOracle(at, EXACT)).floorUsd / exact.floorUsd, `seed ${seed} P ${p}`).toBeCloseTo(
          1,
          3,
        );
        for (const policy of everyPolicy()) {
          const run = await simulatePolicy(at, policy);
          expect(Number(run.penalizedCostUsd), `seed ${seed} P ${p} ${policy.name}`).toBeGreaterThanOrEqual(
            exact.floorUsd * 1e6 - 1,
          );
        }
      }
    }
  }, 300_000);

  it('no policy beats the MIP optimum on small random scenarios, and the oracle attains it', async () => {
    for (let seed = 1; seed <= 6; seed++) {
      const scenario = randomScenario(seed);
      const solution = await solveOracle(scenario, EXACT);
      expect(solution.method, `seed ${seed}`).toBe('mip');
      const floor = solution.floorUsd * 1e6;
      for (const policy of everyPolicy()) {
        const run = await simulatePolicy(scenario, policy);
        expect(Number(run.penalizedCostUsd), `seed ${seed} ${policy.name}`).toBeGreaterThanOrEqual(floor - 1);
      }
      // The oracle's own whole-instance run costs what the MIP says (within its proved gap and cent rounding).
      const oracle = await simulatePolicy(scenario, oraclePolicy(scenario, EXACT));
      expect(Number(oracle.penalizedCostUsd) / floor, `seed ${seed}`).toBeLessThan(1.0002);
    }
  }, 120_000);

  it('skips the search when the relaxation rounded up is already within its gap, and says so', async () => {
    let skipped = 0;
    for (let seed = 1; seed <= 4; seed++) {
      const scenario = twoClassScenario(seed, 'shared');
      const exact = await solveOracle(scenario, EXACT);
      const quick = await solveOracle(scenario, { mipAboveGap: 0.05 });
      // Without the search the floor is the relaxation's: never above the exact one, and the plan within 5 %.
      expect(quick.floorUsd, `seed ${seed}`).toBeLessThanOrEqual(exact.floorUsd + 1e-6);
      if (quick.method === 'lp-relaxation') {
        expect(quick.gap, `seed ${seed}`).toBeLessThanOrEqual(0.05);
        expect(quick.notes.join(' '), `seed ${seed}`).toMatch(/no MIP searched/);
        skipped++;
      } else expect(quick.floorUsd).toBeCloseTo(exact.floorUsd, 3);
    }
    expect(skipped).toBeGreaterThan(0);
  }, 120_000);

  it('brute force over every fleet of a two-hour run finds nothing below the floor', async () => {
    const scenario = randomScenario(7);
    const s: Scenario = {
      ...scenario,
      hours: 26,
      warmupHours: 24,
      pools: scenario.pools.map((p) => ({ ...p, usdPerHour: { ...p.usdPerHour, reserved: undefined } })),
    };
    const floor = (await solveOracle(s, EXACT)).floorUsd * 1e6;
    let best = Infinity;
    const range = [0, 1, 2, 3, 4, 5];
    const spots = [0, 1, 2, 3];
    const plans: { a: number; b: number; sa: number; sb: number }[][] = [];
    const hourPlans = range.flatMap((a) =>
      range.flatMap((b) => spots.flatMap((sa) => spots.map((sb) => ({ a, b, sa, sb })))),
    );
    // Every fleet in each hour (zone a's spot grows by at most one between them, to keep the search small).
    for (const first of hourPlans)
      for (const second of hourPlans) if (second.sa <= first.sa + 1) plans.push([first, second]);
    for (const plan of plans) {
      const policy: Policy = {
        name: 'fixed',
        description: '',
        decide: (v) => {
          const p = plan[v.hour - 24]!;
          return new Map([
            [holdingKey('a', 'on-demand'), p.a],
            [holdingKey('b', 'on-demand'), p.b],
            [holdingKey('a', 'spot'), p.sa],
            [holdingKey('b', 'spot'), p.sb],
          ]);
        },
      };
      const run = await simulatePolicy(s, policy);
      best = Math.min(best, Number(run.penalizedCostUsd));
    }
    expect(best).toBeGreaterThanOrEqual(floor - 1);
    // And the floor is attained: it is the optimum, not just a bound.
    expect(best / floor).toBeLessThan(1.0002);
  }, 300_000);
});
