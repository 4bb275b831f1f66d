// `npm run bench:simulate`: every converted trace through the optimizer and its peers, scored on the penalized cost against the exact floor, tuned leave-one-trace-out, and a robustness sweep.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildScenario, type BuildOptions } from '../lib/sim/build-scenario.ts';
import { simulatePolicy, type Policy, type PolicyRun } from '../lib/sim/engine.ts';
import {
  onDemandPeakPolicy,
  reactiveOnDemandPolicy,
  spotFirstPolicy,
  spotReservedPolicy,
} from '../lib/sim/policies/baselines.ts';
import { optimizerPolicy } from '../lib/sim/policies/optimizer.ts';
import { oraclePolicy, solveOracle } from '../lib/sim/policies/oracle.ts';
import type { Scenario } from '../lib/sim/scenario.ts';
import { resolveTrace, TRACE_PROFILES, type TraceProfile } from '../lib/sim/traces.ts';

// Short windows keep the bench in minutes on two shared cores (the multi-team traces plan 11–16 classes an
// hour): two weeks of history, two billed days.
const HISTORY_DAYS = 14;
const BILLED_DAYS = 2;
// The sweep's windows are shorter still: six billed hours after the swept history.
const SWEEP_BILLED_HOURS = 6;
const SWEEP_HISTORY_DAYS = 7;
const HEADLINE_P = 1;
const PENALTIES = [0, 1, 3, 10] as const;

/** The tuning grid: small on purpose (every point is a whole run per trace). */
const GRID: Record<string, { label: string; make: () => Policy }[]> = {
  optimizer: [0.9, 0.97].map((coverage) => ({
    label: `coverage ${coverage}`,
    make: () => optimizerPolicy({ config: { hourAhead: { coverage } } }),
  })),
  'on-demand-peak': [{ label: 'none', make: () => onDemandPeakPolicy() }],
  'reactive-on-demand': [0, 0.1, 0.25].map((headroom) => ({
    label: `headroom ${headroom}`,
    make: () => reactiveOnDemandPolicy({ headroom }),
  })),
  'spot-first': [0, 0.1, 0.25].map((headroom) => ({
    label: `headroom ${headroom}`,
    make: () => spotFirstPolicy({ headroom }),
  })),
  'spot-reserved': [0, 0.1, 0.25].map((headroom) => ({
    label: `headroom ${headroom}`,
    make: () => spotReservedPolicy({ headroom }),
  })),
};
/** The defaults every policy ships with (what `simulate` runs). */
const DEFAULT_LABEL: Record<string, string> = {
  optimizer: 'coverage 0.97',
  'on-demand-peak': 'none',
  'reactive-on-demand': 'headroom 0.1',
  'spot-first': 'headroom 0.1',
  'spot-reserved': 'headroom 0.1',
};
const PEERS = ['on-demand-peak', 'reactive-on-demand', 'spot-first', 'spot-reserved'];

const usd = (micros: bigint | number) => Math.round(Number(micros)) / 1e6;
const round = (x: number, places = 3) => Math.round(x * 10 ** places) / 10 ** places;
/** A policy's penalized cost at P: its penalty is linear in P (no policy but the oracle reads P). */
const penalizedAt = (run: PolicyRun, p: number) =>
  Number(run.costUsd) + (p * Number(run.latePenaltyUsd)) / run.latePenaltyMultiplier;

interface GridRun {
  policy: string;
  label: string;
  run: PolicyRun;
}

interface TraceResult {
  name: string;
  teams: number;
  sharing: string;
  hours: number;
  seconds: number;
  floorMethod: string;
  floorUsdByPenalty: Record<string, number>;
  policies: {
    name: string;
    params: string;
    billUsd: number;
    lateGpuHours: number;
    penalizedCostUsd: number;
    ratioToOracle: number;
    ratioToOracleByPenalty: Record<string, number>;
  }[];
  optimizerVsBestPeer: number;
  bestPeer: string;
  optimizerVsBestPeerByPenalty: Record<string, number>;
  leaveOneOut: { ratioToOracle: number; optimizerVsBestPeer: number; params: Record<string, string> };
  log: string[];
}

async function floorsOf(
  scenario: Scenario,
): Promise<{ floors: Record<string, number>; method: string; notes: string[] }> {
  const floors: Record<string, number> = {};
  let method = '';
  const notes: string[] = [];
  for (const p of PENALTIES) {
    const solution = await solveOracle({ ...scenario, latePenaltyMultiplier: p });
    floors[String(p)] = solution.floorUsd * 1e6;
    method = solution.method;
    if (p === HEADLINE_P) notes.push(...solution.notes);
  }
  return { floors, method, notes };
}

const started = performance.now();
const grids = new Map<string, GridRun[]>();
const floorsByTrace = new Map<string, Record<string, number>>();
const results: TraceResult[] = [];

for (const profile of TRACE_PROFILES) {
  const t0 = performance.now();
  const scenario = await buildScenario(profile, {
    lastHours: (HISTORY_DAYS + BILLED_DAYS) * 24,
    warmupHours: HISTORY_DAYS * 24,
    latePenaltyMultiplier: HEADLINE_P,
  });
  const runs: GridRun[] = [];
  for (const [policy, points] of Object.entries(GRID))
    for (const point of points)
      runs.push({ policy, label: point.label, run: await simulatePolicy(scenario, point.make()) });
  const { floors, method, notes } = await floorsOf(scenario);
  const oracleRun = await simulatePolicy(scenario, oraclePolicy(scenario));
  grids.set(profile.name, runs);
  floorsByTrace.set(profile.name, floors);

  const at = (policy: string, label = DEFAULT_LABEL[policy]!) =>
    runs.find((r) => r.policy === policy && r.label === label)!.run;
  const ratio = (run: PolicyRun, p: number) => penalizedAt(run, p) / floors[String(p)]!;
  const vsBest = (p: number, optimizer = at('optimizer'), peerRun = (n: string) => at(n)) =>
    penalizedAt(optimizer, p) / Math.min(...PEERS.map((n) => penalizedAt(peerRun(n), p)));
  const named = [
    ...Object.keys(GRID).map((n) => ({ name: n, run: at(n), params: DEFAULT_LABEL[n]! })),
    { name: 'oracle', run: oracleRun, params: 'exact' },
  ];
  const bestPeer = PEERS.reduce((a, b) =>
    penalizedAt(at(a), HEADLINE_P) <= penalizedAt(at(b), HEADLINE_P) ? a : b,
  );
  results.push({
    name: profile.name,
    teams: scenario.classes.length,
    sharing: scenario.sharing ?? 'shared',
    hours: scenario.hours - scenario.warmupHours,
    seconds: Math.round((performance.now() - t0) / 100) / 10,
    floorMethod: method,
    floorUsdByPenalty: Object.fromEntries(Object.entries(floors).map(([p, f]) => [p, usd(f)])),
    policies: named.map(({ name, run, params }) => ({
      name,
      params,
      billUsd: usd(run.costUsd),
      lateGpuHours: round(run.lateGpuHours, 1),
      penalizedCostUsd: usd(run.penalizedCostUsd),
      ratioToOracle: round(ratio(run, HEADLINE_P)),
      ratioToOracleByPenalty: Object.fromEntries(PENALTIES.map((p) => [String(p), round(ratio(run, p))])),
    })),
    optimizerVsBestPeer: round(vsBest(HEADLINE_P)),
    bestPeer,
    optimizerVsBestPeerByPenalty: Object.fromEntries(PENALTIES.map((p) => [String(p), round(vsBest(p))])),
    leaveOneOut: { ratioToOracle: 0, optimizerVsBestPeer: 0, params: {} },
    log: notes,
  });
  process.stderr.write(`${profile.name}: ${results.at(-1)!.seconds} s\n`);
}

// Leave one trace out: each policy's parameters are the grid point with the lowest mean ratio to the floor on
// the other traces; the held-out trace is reported with them.
for (const result of results) {
  const others = results.filter((r) => r.name !== result.name).map((r) => r.name);
  const tuned: Record<string, string> = {};
  for (const [policy, points] of Object.entries(GRID)) {
    let best = points[0]!.label;
    let bestScore = Infinity;
    for (const point of points) {
      const score =
        others.reduce((a, name) => {
          const run = grids.get(name)!.find((r) => r.policy === policy && r.label === point.label)!.run;
          return a + penalizedAt(run, HEADLINE_P) / floorsByTrace.get(name)![String(HEADLINE_P)]!;
        }, 0) / Math.max(1, others.length);
      if (score < bestScore) [best, bestScore] = [point.label, score];
    }
    tuned[policy] = best;
  }
  const own = grids.get(result.name)!;
  const run = (policy: string) => own.find((r) => r.policy === policy && r.label === tuned[policy])!.run;
  const floor = floorsByTrace.get(result.name)![String(HEADLINE_P)]!;
  result.leaveOneOut = {
    ratioToOracle: round(penalizedAt(run('optimizer'), HEADLINE_P) / floor),
    optimizerVsBestPeer: round(
      penalizedAt(run('optimizer'), HEADLINE_P) /
        Math.min(...PEERS.map((n) => penalizedAt(run(n), HEADLINE_P))),
    ),
    params: tuned,
  };
}

// The robustness sweep: one axis at a time from each trace's own setting; every point must finish.
interface SweepPoint {
  trace: string;
  spotShare: number;
  spotPriceRatio: number | null;
  historyDays: number;
  instanceType: string;
  ratioToOracle: number | null;
  optimizerVsBestPeer: number | null;
  seconds: number;
  error: string | null;
}
const sweep: SweepPoint[] = [];
const axes: { spotShare?: number; spotPriceRatio?: number; historyDays?: number; instanceType?: string }[] = [
  {},
  { spotShare: 0.2 },
  { spotShare: 0.8 },
  { spotPriceRatio: 0.3 },
  { spotPriceRatio: 0.7 },
  // The sweep's own setting is 7 days of history; 28 is the other end.
  { historyDays: 28 },
  { instanceType: 'g6.xlarge' },
  { instanceType: 'p5.48xlarge' },
];
for (const base of TRACE_PROFILES) {
  for (const axis of axes) {
    const t0 = performance.now();
    const historyDays = axis.historyDays ?? SWEEP_HISTORY_DAYS;
    const profile: TraceProfile = resolveTrace(base.name, {
      ...(axis.spotShare !== undefined ? { spotShare: axis.spotShare } : {}),
      ...(axis.instanceType ? { instanceType: axis.instanceType } : {}),
    });
    const point: SweepPoint = {
      trace: base.name,
      spotShare: profile.spotShare,
      spotPriceRatio: axis.spotPriceRatio ?? null,
      historyDays,
      instanceType: profile.instanceType,
      ratioToOracle: null,
      optimizerVsBestPeer: null,
      seconds: 0,
      error: null,
    };
    try {
      const options: BuildOptions = {
        lastHours: historyDays * 24 + SWEEP_BILLED_HOURS,
        warmupHours: historyDays * 24,
        ...(axis.spotPriceRatio !== undefined ? { spotPriceRatio: axis.spotPriceRatio } : {}),
      };
      const scenario = await buildScenario(profile, options);
      const optimizer = await simulatePolicy(scenario, optimizerPolicy());
      const peers = await Promise.all([
        simulatePolicy(scenario, spotFirstPolicy()),
        simulatePolicy(scenario, spotReservedPolicy()),
        simulatePolicy(scenario, reactiveOnDemandPolicy()),
      ]);
      const floor = (await solveOracle(scenario)).floorUsd * 1e6;
      point.ratioToOracle = round(Number(optimizer.penalizedCostUsd) / floor);
      point.optimizerVsBestPeer = round(
        Number(optimizer.penalizedCostUsd) / Math.min(...peers.map((r) => Number(r.penalizedCostUsd))),
      );
    } catch (error) {
      point.error = (error as Error).message;
    }
    point.seconds = Math.round((performance.now() - t0) / 100) / 10;
    sweep.push(point);
    process.stderr.write(
      `sweep ${base.name} ${JSON.stringify(axis)}: ${point.error ?? point.ratioToOracle}\n`,
    );
  }
}

const names = results[0]!.policies.map((p) => p.name);
console.log(
  `\nPenalized cost ÷ the exact floor (P = ${HEADLINE_P} on-demand GPU-hour per late GPU-hour; ${HISTORY_DAYS} days of history, the last ${BILLED_DAYS} billed; default parameters)\n`,
);
console.log(['trace'.padEnd(19), 'teams'.padStart(6), ...names.map((n) => n.padStart(19))].join(''));
for (const r of results)
  console.log(
    [
      r.name.padEnd(19),
      String(r.teams).padStart(6),
      ...r.policies.map((p) => p.ratioToOracle.toFixed(3).padStart(19)),
    ].join(''),
  );
console.log(
  '\noptimizer ÷ best peer by P (default parameters), and with every parameter tuned leave-one-trace-out (P = 1)\n',
);
console.log(
  [
    'trace'.padEnd(19),
    ...PENALTIES.map((p) => `P=${p}`.padStart(8)),
    'best peer'.padStart(16),
    'LOO ÷ floor'.padStart(13),
    'LOO ÷ peer'.padStart(12),
  ].join(''),
);
for (const r of results)
  console.log(
    [
      r.name.padEnd(19),
      ...PENALTIES.map((p) => r.optimizerVsBestPeerByPenalty[String(p)]!.toFixed(3).padStart(8)),
      r.bestPeer.padStart(16),
      r.leaveOneOut.ratioToOracle.toFixed(3).padStart(13),
      r.leaveOneOut.optimizerVsBestPeer.toFixed(3).padStart(12),
    ].join(''),
  );
const failed = sweep.filter((s) => s.error);
console.log(
  `\nsweep: ${sweep.length} points, ${failed.length} failed; optimizer ÷ floor ${Math.min(...sweep.filter((s) => s.ratioToOracle !== null).map((s) => s.ratioToOracle!)).toFixed(3)}–${Math.max(...sweep.filter((s) => s.ratioToOracle !== null).map((s) => s.ratioToOracle!)).toFixed(3)}, ÷ best peer ${Math.min(...sweep.filter((s) => s.optimizerVsBestPeer !== null).map((s) => s.optimizerVsBestPeer!)).toFixed(3)}–${Math.max(...sweep.filter((s) => s.optimizerVsBestPeer !== null).map((s) => s.optimizerVsBestPeer!)).toFixed(3)}`,
);
for (const f of failed) console.log(`  FAILED ${f.trace} ${JSON.stringify(f)}`);

const out = join(import.meta.dirname, 'results');
await mkdir(out, { recursive: true });
await writeFile(
  join(out, 'simulate.json'),
  `${JSON.stringify(
    {
      penaltyMultiplier: HEADLINE_P,
      penalties: PENALTIES,
      historyDays: HISTORY_DAYS,
      billedDays: BILLED_DAYS,
      node: process.version,
      seconds: Math.round((performance.now() - started) / 1000),
      traces: results,
      sweep,
    },
    null,
    2,
  )}\n`,
);
console.log(
  `\nwrote ${join('bench', 'results', 'simulate.json')} in ${Math.round((performance.now() - started) / 1000)} s`,
);
