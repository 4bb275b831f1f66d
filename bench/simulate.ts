// `npm run bench:simulate`: every converted trace through the optimizer and its peers, scored on the penalized cost against the floor, tuned leave-one-trace-out, and a robustness sweep.
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { buildScenario, historyHoursOf, type BuildOptions } from '../lib/sim/build-scenario.ts';
import { simulatePolicy, type Policy, type PolicyRun } from '../lib/sim/engine.ts';
import {
  onDemandPeakPolicy,
  reactiveOnDemandPolicy,
  spotFirstPolicy,
  spotReservedPolicy,
} from '../lib/sim/policies/baselines.ts';
import { optimizerPolicy } from '../lib/sim/policies/optimizer.ts';
import { oraclePolicy, solveOracle, type OracleSolution } from '../lib/sim/policies/oracle.ts';
import { resolveTrace, TRACE_PROFILES, type TraceProfile } from '../lib/sim/traces.ts';
import {
  optimizerVsBestPeerAt,
  penaltiesToRun,
  penalizedAt,
  runAt,
  type GridRun,
  type RunFigures,
} from './penalty-scoring.ts';

// Short windows keep the bench in minutes on two shared cores (the multi-team traces plan 11–16 classes an
// hour): each trace's last 16 days, 40 % of it history (153 hours) and 231 billed hours, the windows every
// figure of this bench has been measured on; the results say what each window was.
const WINDOW_HOURS = 16 * 24;
// The sweep's windows are shorter still: the swept days and six hours, 40 % of it history.
const SWEEP_BILLED_HOURS = 6;
const SWEEP_HISTORY_DAYS = 7;
const HEADLINE_P = 1;
const PENALTIES = [0, 1, 3, 10] as const;
// The floor's MIP searches this long per trace (its dual bound is the floor when it stops), per sweep point less.
const ORACLE_SECONDS = 30;
const SWEEP_ORACLE_SECONDS = 10;
// Traces and sweep points are independent: they run on this many worker threads (BENCH_WORKERS to change).
const WORKERS = Math.max(1, Number(process.env.BENCH_WORKERS ?? Math.min(2, availableParallelism())));

/**
 * The tuning grid: small on purpose (every point is a whole run per trace). A point whose decisions read the
 * late price (`readsPenalty`) is run once per P in `PENALTIES`, each run deciding at its P as the deployed run
 * decides at its owner's; the others are run once, at the headline P, and re-scored at each P.
 */
const GRID: Record<string, { label: string; make: () => Policy; readsPenalty?: boolean }[]> = {
  // The shipped rule prices the first hour's coverage by the late penalty; a fixed coverage is the alternative.
  optimizer: [
    { label: 'penalty-priced', make: () => optimizerPolicy(), readsPenalty: true },
    { label: 'coverage 0.97', make: () => optimizerPolicy({ config: { hourAhead: { coverage: 0.97 } } }) },
  ],
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
  optimizer: 'penalty-priced',
  'on-demand-peak': 'none',
  'reactive-on-demand': 'headroom 0.1',
  'spot-first': 'headroom 0.1',
  'spot-reserved': 'headroom 0.1',
};
const PEERS = ['on-demand-peak', 'reactive-on-demand', 'spot-first', 'spot-reserved'];

const usd = (micros: bigint | number) => Math.round(Number(micros)) / 1e6;
const round = (x: number, places = 3) => Math.round(x * 10 ** places) / 10 ** places;

const figures = (run: PolicyRun): RunFigures => ({
  costUsd: run.costUsd,
  latePenaltyUsd: run.latePenaltyUsd,
  penalizedCostUsd: run.penalizedCostUsd,
  latePenaltyMultiplier: run.latePenaltyMultiplier,
  lateGpuHours: run.lateGpuHours,
});

interface TraceResult {
  name: string;
  teams: number;
  sharing: string;
  /** Billed hours of the window, after `historyHours` of history. */
  hours: number;
  historyHours: number;
  /** Worker seconds spent on the trace's grid runs (the optimizer's at each P) and its floor (sweep apart). */
  seconds: number;
  floorMethod: string;
  /** The oracle's plan, as the engine bills it, over the floor − 1: the exact optimum lies in between. */
  floorGap: number;
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
  /** Each P's figure compares the optimizer that decided at that P. */
  optimizerVsBestPeerByPenalty: Record<string, number>;
  bestPeerByPenalty: Record<string, string>;
  /** The optimizer's run that decided at each P: its late GPU-hours and its bill. */
  optimizerLateGpuHoursByPenalty: Record<string, number>;
  optimizerBillUsdByPenalty: Record<string, number>;
  leaveOneOut: { ratioToOracle: number; optimizerVsBestPeer: number; params: Record<string, string> };
  log: string[];
}

interface Axis {
  spotShare?: number;
  spotPriceRatio?: number;
  historyDays?: number;
  instanceType?: string;
}

/** The robustness sweep: one axis at a time from each trace's own setting; every point must finish. */
interface SweepPoint {
  trace: string;
  spotShare: number;
  spotPriceRatio: number | null;
  historyDays: number;
  /** What the scenario builder gave for the asked history and six hours: at most 40 % of it history. */
  historyHours: number | null;
  billedHours: number | null;
  instanceType: string;
  ratioToOracle: number | null;
  optimizerVsBestPeer: number | null;
  floorMethod: string | null;
  seconds: number;
  error: string | null;
}
const AXES: Axis[] = [
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

/** One unit of work for a worker: some grid points of a trace at one P, its floor, or one sweep point. */
type Job =
  | { kind: 'grid'; trace: string; policy: string; labels: string[]; penalty: number }
  | { kind: 'oracle'; trace: string }
  | { kind: 'sweep'; trace: string; axis: Axis; index: number };

interface OracleFigures {
  floorUsd: number;
  method: string;
  gap: number;
  notes: string[];
  teams: number;
  sharing: string;
  hours: number;
  historyHours: number;
  run: RunFigures;
}

type JobResult =
  | { kind: 'grid'; trace: string; seconds: number; runs: GridRun[] }
  | { kind: 'oracle'; trace: string; seconds: number; oracle: OracleFigures }
  | { kind: 'sweep'; trace: string; seconds: number; point: SweepPoint; index: number };

const traceScenario = (profile: TraceProfile, latePenaltyMultiplier = HEADLINE_P) =>
  buildScenario(profile, {
    lastHours: WINDOW_HOURS,
    warmupHours: historyHoursOf(WINDOW_HOURS),
    latePenaltyMultiplier,
  });
const profileOf = (name: string) => TRACE_PROFILES.find((t) => t.name === name)!;
/** BENCH_TRACES=a,b runs those traces only (a quick look; the committed results are of every trace). */
const TRACES = process.env.BENCH_TRACES
  ? TRACE_PROFILES.filter((t) => process.env.BENCH_TRACES!.split(',').includes(t.name))
  : TRACE_PROFILES;

async function runJob(job: Job): Promise<JobResult> {
  const t0 = performance.now();
  const seconds = () => Math.round((performance.now() - t0) / 100) / 10;
  if (job.kind === 'grid') {
    // The policy reads P from the scenario, as the deployed run reads its owner's.
    const scenario = await traceScenario(profileOf(job.trace), job.penalty);
    const runs: GridRun[] = [];
    for (const label of job.labels) {
      const point = GRID[job.policy]!.find((g) => g.label === label)!;
      runs.push({
        policy: job.policy,
        label,
        ...(point.readsPenalty ? { decidedAt: job.penalty } : {}),
        run: figures(await simulatePolicy(scenario, point.make())),
      });
    }
    return { kind: 'grid', trace: job.trace, seconds: seconds(), runs };
  }
  if (job.kind === 'oracle') {
    const scenario = await traceScenario(profileOf(job.trace));
    // One solve serves every P: the optimum does not depend on P (see solveOracle), and the plan's run is
    // scored at each P from its bill and late GPU-hours like every other policy's.
    const solution: OracleSolution = await solveOracle(scenario, {
      mipTimeLimitSeconds: ORACLE_SECONDS,
      mipAboveGap: 0,
    });
    const run = await simulatePolicy(scenario, oraclePolicy(scenario, {}, solution));
    return {
      kind: 'oracle',
      trace: job.trace,
      seconds: seconds(),
      oracle: {
        floorUsd: solution.floorUsd,
        method: solution.method,
        gap: solution.gap,
        notes: solution.notes,
        teams: scenario.classes.length,
        sharing: scenario.sharing ?? 'shared',
        hours: scenario.hours - scenario.warmupHours,
        historyHours: scenario.warmupHours,
        run: figures(run),
      },
    };
  }
  const { axis } = job;
  const historyDays = axis.historyDays ?? SWEEP_HISTORY_DAYS;
  const profile: TraceProfile = resolveTrace(job.trace, {
    ...(axis.spotShare !== undefined ? { spotShare: axis.spotShare } : {}),
    ...(axis.instanceType ? { instanceType: axis.instanceType } : {}),
  });
  const point: SweepPoint = {
    trace: job.trace,
    spotShare: profile.spotShare,
    spotPriceRatio: axis.spotPriceRatio ?? null,
    historyDays,
    historyHours: null,
    billedHours: null,
    instanceType: profile.instanceType,
    ratioToOracle: null,
    optimizerVsBestPeer: null,
    floorMethod: null,
    seconds: 0,
    error: null,
  };
  try {
    const options: BuildOptions = {
      lastHours: historyDays * 24 + SWEEP_BILLED_HOURS,
      warmupHours: historyHoursOf(historyDays * 24 + SWEEP_BILLED_HOURS),
      ...(axis.spotPriceRatio !== undefined ? { spotPriceRatio: axis.spotPriceRatio } : {}),
    };
    const scenario = await buildScenario(profile, options);
    point.historyHours = scenario.warmupHours;
    point.billedHours = scenario.hours - scenario.warmupHours;
    const optimizer = await simulatePolicy(scenario, optimizerPolicy());
    const peers = await Promise.all([
      simulatePolicy(scenario, spotFirstPolicy()),
      simulatePolicy(scenario, spotReservedPolicy()),
      simulatePolicy(scenario, reactiveOnDemandPolicy()),
    ]);
    const solution = await solveOracle(scenario, {
      mipTimeLimitSeconds: SWEEP_ORACLE_SECONDS,
      mipAboveGap: 0,
    });
    point.floorMethod = solution.method;
    point.ratioToOracle = round(Number(optimizer.penalizedCostUsd) / (solution.floorUsd * 1e6));
    point.optimizerVsBestPeer = round(
      Number(optimizer.penalizedCostUsd) / Math.min(...peers.map((r) => Number(r.penalizedCostUsd))),
    );
  } catch (error) {
    point.error = (error as Error).message;
  }
  point.seconds = seconds();
  return { kind: 'sweep', trace: job.trace, seconds: point.seconds, point, index: job.index };
}

if (!isMainThread) {
  parentPort!.on('message', (job: Job) => {
    void runJob(job).then((result) => parentPort!.postMessage(result));
  });
} else {
  await main();
}

/** Runs the jobs on `WORKERS` threads, the longest first, and hands each result to `done` as it comes. */
async function runAll(jobs: Job[], done: (result: JobResult) => void): Promise<void> {
  const queue = [...jobs];
  const worker = () =>
    new Promise<void>((resolve, reject) => {
      const thread = new Worker(new URL(import.meta.url));
      const next = () => {
        const job = queue.shift();
        if (!job) {
          void thread.terminate().then(() => resolve());
          return;
        }
        thread.postMessage(job);
      };
      thread.on('message', (result: JobResult) => {
        done(result);
        next();
      });
      thread.on('error', reject);
      next();
    });
  await Promise.all(Array.from({ length: Math.min(WORKERS, jobs.length) }, worker));
}

async function main(): Promise<void> {
  const started = performance.now();
  // The optimizer's runs are the long ones (it plans every hour); the multi-team traces' floors next.
  const jobs: Job[] = [
    ...TRACES.flatMap((t) =>
      GRID.optimizer!.flatMap((g) =>
        penaltiesToRun(g.readsPenalty ?? false, PENALTIES, HEADLINE_P).map((penalty): Job => ({
          kind: 'grid',
          trace: t.name,
          policy: 'optimizer',
          labels: [g.label],
          penalty,
        })),
      ),
    ),
    ...TRACES.map((t): Job => ({ kind: 'oracle', trace: t.name })),
    ...AXES.flatMap((axis, index) =>
      TRACES.map((t): Job => ({ kind: 'sweep', trace: t.name, axis, index })),
    ).sort((a, b) => Number('axis' in b && b.axis.historyDays) - Number('axis' in a && a.axis.historyDays)),
    ...TRACES.flatMap((t) =>
      Object.entries(GRID)
        .filter(([policy]) => policy !== 'optimizer')
        .map(([policy, points]): Job => ({
          kind: 'grid',
          trace: t.name,
          policy,
          labels: points.map((p) => p.label),
          penalty: HEADLINE_P,
        })),
    ),
  ];
  const grids = new Map<string, GridRun[]>(TRACES.map((t) => [t.name, []]));
  const oracles = new Map<string, OracleFigures>();
  const secondsByTrace = new Map<string, number>();
  const sweepPoints: { order: number; point: SweepPoint }[] = [];
  const traceOrder = (name: string) => TRACES.findIndex((t) => t.name === name);
  await runAll(jobs, (result) => {
    if (result.kind !== 'sweep')
      secondsByTrace.set(result.trace, (secondsByTrace.get(result.trace) ?? 0) + result.seconds);
    if (result.kind === 'grid') grids.get(result.trace)!.push(...result.runs);
    else if (result.kind === 'oracle') oracles.set(result.trace, result.oracle);
    else
      sweepPoints.push({ order: traceOrder(result.trace) * AXES.length + result.index, point: result.point });
    const what =
      result.kind === 'grid'
        ? result.runs
            .map((r) => `${r.policy} ${r.label}${r.decidedAt === undefined ? '' : ` at P = ${r.decidedAt}`}`)
            .join(', ')
        : result.kind;
    process.stderr.write(`${result.trace} ${what}: ${result.seconds} s\n`);
  });

  const results: TraceResult[] = [];
  for (const profile of TRACES) {
    const runs = grids.get(profile.name)!;
    const oracle = oracles.get(profile.name)!;
    // The floor holds at every P (the optimum does not depend on P): one bound, each policy scored at each P.
    const floor = oracle.floorUsd * 1e6;
    // Each policy at P by its run that decided at P (the one run of a policy that does not read P).
    const at = (policy: string, p = HEADLINE_P) => runAt(runs, policy, DEFAULT_LABEL[policy]!, p);
    const byP = <T>(f: (p: number) => T) => Object.fromEntries(PENALTIES.map((p) => [String(p), f(p)]));
    const vsBest = (p: number) => optimizerVsBestPeerAt(runs, DEFAULT_LABEL, PEERS, p);
    const named = [
      ...Object.keys(GRID).map((n) => ({
        name: n,
        runAtP: (p: number) => at(n, p),
        params: DEFAULT_LABEL[n]!,
      })),
      { name: 'oracle', runAtP: () => oracle.run, params: 'exact' },
    ];
    results.push({
      name: profile.name,
      teams: oracle.teams,
      sharing: oracle.sharing,
      hours: oracle.hours,
      historyHours: oracle.historyHours,
      seconds: round(secondsByTrace.get(profile.name) ?? 0, 1),
      floorMethod: oracle.method,
      floorGap: round(oracle.gap, 4),
      floorUsdByPenalty: byP(() => usd(floor)),
      policies: named.map(({ name, runAtP, params }) => {
        const run = runAtP(HEADLINE_P);
        return {
          name,
          params,
          billUsd: usd(run.costUsd),
          lateGpuHours: round(run.lateGpuHours, 1),
          penalizedCostUsd: usd(run.penalizedCostUsd),
          ratioToOracle: round(penalizedAt(run, HEADLINE_P) / floor),
          ratioToOracleByPenalty: byP((p) => round(penalizedAt(runAtP(p), p) / floor)),
        };
      }),
      optimizerVsBestPeer: round(vsBest(HEADLINE_P).ratio),
      bestPeer: vsBest(HEADLINE_P).bestPeer,
      optimizerVsBestPeerByPenalty: byP((p) => round(vsBest(p).ratio)),
      bestPeerByPenalty: byP((p) => vsBest(p).bestPeer),
      optimizerLateGpuHoursByPenalty: byP((p) => round(at('optimizer', p).lateGpuHours, 1)),
      optimizerBillUsdByPenalty: byP((p) => usd(at('optimizer', p).costUsd)),
      leaveOneOut: { ratioToOracle: 0, optimizerVsBestPeer: 0, params: {} },
      log: oracle.notes,
    });
  }

  // Leave one trace out: each policy's parameters are the grid point with the lowest mean ratio to the floor on
  // the other traces; the held-out trace is reported with them.
  const floorOf = (name: string) => oracles.get(name)!.floorUsd * 1e6;
  for (const result of results) {
    const others = results.filter((r) => r.name !== result.name).map((r) => r.name);
    const tuned: Record<string, string> = {};
    for (const [policy, points] of Object.entries(GRID)) {
      let best = points[0]!.label;
      let bestScore = Infinity;
      for (const point of points) {
        const score =
          others.reduce((a, name) => {
            const run = runAt(grids.get(name)!, policy, point.label, HEADLINE_P);
            return a + penalizedAt(run, HEADLINE_P) / floorOf(name);
          }, 0) / Math.max(1, others.length);
        if (score < bestScore) [best, bestScore] = [point.label, score];
      }
      tuned[policy] = best;
    }
    const own = grids.get(result.name)!;
    const run = (policy: string) => runAt(own, policy, tuned[policy]!, HEADLINE_P);
    result.leaveOneOut = {
      ratioToOracle: round(penalizedAt(run('optimizer'), HEADLINE_P) / floorOf(result.name)),
      optimizerVsBestPeer: round(
        penalizedAt(run('optimizer'), HEADLINE_P) /
          Math.min(...PEERS.map((n) => penalizedAt(run(n), HEADLINE_P))),
      ),
      params: tuned,
    };
  }

  // The sweep in its fixed order (trace, then axis), whatever order the workers finished in.
  const sweep = sweepPoints.sort((a, b) => a.order - b.order).map((s) => s.point);

  const names = results[0]!.policies.map((p) => p.name);
  console.log(
    `\nPenalized cost ÷ the floor (P = ${HEADLINE_P} on-demand GPU-hour per late GPU-hour; each trace's last ${WINDOW_HOURS / 24} days: ${[...new Set(results.map((r) => r.historyHours))].join('/')} h of history, ${[...new Set(results.map((r) => r.hours))].join('/')} h billed; default parameters)\n`,
  );
  console.log(
    [
      'trace'.padEnd(19),
      'teams'.padStart(6),
      ...names.map((n) => n.padStart(19)),
      'floor by'.padStart(15),
      'oracle gap'.padStart(12),
    ].join(''),
  );
  for (const r of results)
    console.log(
      [
        r.name.padEnd(19),
        String(r.teams).padStart(6),
        ...r.policies.map((p) => p.ratioToOracle.toFixed(3).padStart(19)),
        r.floorMethod.padStart(15),
        `${(100 * r.floorGap).toFixed(2)} %`.padStart(12),
      ].join(''),
    );
  console.log(
    '\noptimizer ÷ best peer by P (default parameters; the optimizer decided at each P), and with every parameter tuned leave-one-trace-out (P = 1)\n',
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
  console.log("\nthe optimizer's late GPU-hours by the P it decided at\n");
  console.log(['trace'.padEnd(19), ...PENALTIES.map((p) => `P=${p}`.padStart(10))].join(''));
  for (const r of results)
    console.log(
      [
        r.name.padEnd(19),
        ...PENALTIES.map((p) => r.optimizerLateGpuHoursByPenalty[String(p)]!.toFixed(1).padStart(10)),
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
        // The optimizer's figures at each P are of its run that decided at that P (peers do not read P).
        optimizerDecidesAtEachPenalty: true,
        // Asked of the scenario builder; each trace's `historyHours` and `hours` (billed) are what it gave.
        windowDays: WINDOW_HOURS / 24,
        node: process.version,
        workers: WORKERS,
        seconds: Math.round((performance.now() - started) / 1000),
        // CPU seconds of the whole process (every worker): what the bench costs, whatever else runs beside it.
        cpuSeconds: Math.round((process.cpuUsage().user + process.cpuUsage().system) / 1e6),
        traces: results,
        sweep,
      },
      null,
      2,
    )}\n`,
  );
  console.log(
    `\nwrote ${join('bench', 'results', 'simulate.json')} in ${Math.round((performance.now() - started) / 1000)} s (${WORKERS} workers, ${Math.round(process.cpuUsage().user / 1e6)} CPU s)`,
  );
}
