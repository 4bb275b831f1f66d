// `npm run bench:ablation [P]`: what each idea of the optimizer buys, on every converted trace, each left out in turn; penalized cost against the best competent peer in the same run.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { alignColumns } from '../lib/cli/columns.ts';
import { buildScenario, historyHoursOf } from '../lib/sim/build-scenario.ts';
import { simulatePolicy, type Policy, type PolicyRun } from '../lib/sim/engine.ts';
import {
  reactiveOnDemandPolicy,
  spotFirstPolicy,
  spotReservedPolicy,
} from '../lib/sim/policies/baselines.ts';
import { optimizerPolicy } from '../lib/sim/policies/optimizer.ts';
import { TRACE_PROFILES } from '../lib/sim/traces.ts';

// The windows of bench:simulate: each trace's last 16 days, 40 % of it history (153 hours; 231 billed).
const WINDOW_HOURS = 16 * 24;
const HISTORY_HOURS = historyHoursOf(WINDOW_HOURS);
const P = Number(process.argv[2] ?? 1);
if (!(P >= 0)) throw new Error(`the late penalty must be a number ≥ 0, got ${process.argv[2]}`);

/** The optimizer as it ships, then with one idea taken out at a time. */
const VARIANTS: { name: string; idea: string; make: () => Policy }[] = [
  { name: 'optimizer', idea: '—', make: () => optimizerPolicy() },
  {
    name: 'no pooling',
    idea: 'one first-hour margin per GPU requirement on shared capacity',
    make: () => optimizerPolicy({ config: { hourAhead: { pool: false } } }),
  },
  {
    name: 'fixed 97 % coverage',
    idea: 'the first hour covered at the newsvendor ratio of the late penalty',
    make: () => optimizerPolicy({ config: { hourAhead: { coverage: 0.97 } } }),
  },
  {
    name: 'no commitment',
    idea: 'a reservation at the usage level that breaks even',
    make: () => optimizerPolicy({ noCommitment: true }),
  },
  {
    name: 'commitment per class',
    idea: 'the reservation sized over the teams a pool serves',
    make: () => optimizerPolicy({ commitmentPerClass: true }),
  },
  {
    name: 'teams forecast alone',
    idea: 'teams forecast with their total and reconciled, as the forecast run does',
    make: () => optimizerPolicy({ teamForecasts: 'independent' }),
  },
  {
    name: 'later hours at p90',
    idea: 'the hours after the first at the median, not the p90 (planned again before they come)',
    make: () => optimizerPolicy({ config: { quantile: 'p90' } }),
  },
  {
    name: 'no hour-ahead plan',
    idea: "the first hour from the week's misses (else the forecast's p90)",
    make: () => optimizerPolicy({ config: { hourAhead: { enabled: false } } }),
  },
];
const PEERS: { name: string; make: () => Policy }[] = [
  { name: 'spot-reserved', make: () => spotReservedPolicy() },
  { name: 'spot-first', make: () => spotFirstPolicy() },
  { name: 'reactive-on-demand', make: () => reactiveOnDemandPolicy() },
];

const round = (x: number, places = 3) => Math.round(x * 10 ** places) / 10 ** places;
const usd = (run: PolicyRun) => Number(run.penalizedCostUsd) / 1e6;

interface TraceRow {
  name: string;
  teams: number;
  sharing: string;
  historyHours: number;
  billedHours: number;
  bestPeer: { name: string; penalizedCostUsd: number; lateGpuHours: number };
  variants: {
    name: string;
    penalizedCostUsd: number;
    billUsd: number;
    lateGpuHours: number;
    vsBestPeer: number;
    vsOptimizer: number;
  }[];
  seconds: number;
}

const started = performance.now();
const rows: TraceRow[] = [];
for (const profile of TRACE_PROFILES) {
  const t0 = performance.now();
  const scenario = await buildScenario(profile, {
    lastHours: WINDOW_HOURS,
    warmupHours: HISTORY_HOURS,
    latePenaltyMultiplier: P,
  });
  const peers: { name: string; run: PolicyRun }[] = [];
  for (const peer of PEERS) {
    process.stderr.write(`${profile.name}: ${peer.name}          \r`);
    peers.push({ name: peer.name, run: await simulatePolicy(scenario, peer.make()) });
  }
  const best = peers.reduce((a, b) => (usd(b.run) < usd(a.run) ? b : a));
  const runs: { name: string; run: PolicyRun }[] = [];
  for (const v of VARIANTS) {
    process.stderr.write(`${profile.name}: ${v.name}          \r`);
    runs.push({ name: v.name, run: await simulatePolicy(scenario, v.make()) });
  }
  const full = usd(runs[0]!.run);
  rows.push({
    name: profile.name,
    teams: scenario.classes.length,
    sharing: scenario.sharing ?? 'shared',
    historyHours: scenario.warmupHours,
    billedHours: scenario.hours - scenario.warmupHours,
    bestPeer: {
      name: best.name,
      penalizedCostUsd: round(usd(best.run), 2),
      lateGpuHours: round(best.run.lateGpuHours, 1),
    },
    variants: runs.map(({ name, run }) => ({
      name,
      penalizedCostUsd: round(usd(run), 2),
      billUsd: round(Number(run.costUsd) / 1e6, 2),
      lateGpuHours: round(run.lateGpuHours, 1),
      vsBestPeer: round(usd(run) / usd(best.run)),
      vsOptimizer: round(usd(run) / full),
    })),
    seconds: round((performance.now() - t0) / 1000, 1),
  });
}
process.stderr.write('\n');

const header = ['trace', 'teams', 'best peer', ...VARIANTS.map((v) => v.name)];
const table = rows.map((r) => [
  r.name,
  `${r.teams} ${r.sharing}`,
  r.bestPeer.name,
  ...r.variants.map((v) => `${v.vsBestPeer.toFixed(3)} (${v.lateGpuHours.toFixed(0)} late)`),
]);
console.log(
  `\noptimizer ÷ best competent peer, penalized cost (bill + ${P} × on-demand per late GPU-hour); each column leaves one idea out`,
);
for (const line of alignColumns(header, table)) console.log(line);
const ideas = VARIANTS.slice(1).map((v) => {
  const ratios = rows.map((r) => r.variants.find((x) => x.name === v.name)!.vsOptimizer);
  return {
    leftOut: v.name,
    idea: v.idea,
    // What the idea buys: how much more the optimizer costs without it, per trace.
    costWithoutIt: Object.fromEntries(rows.map((r, i) => [r.name, ratios[i]!])),
    geometricMean: round(Math.exp(ratios.reduce((a, x) => a + Math.log(x), 0) / ratios.length)),
  };
});
console.log('\nwithout each idea, × the optimizer (geometric mean over traces):');
for (const i of ideas) console.log(`  ${i.leftOut}: ${i.geometricMean.toFixed(3)}  (${i.idea})`);

const dir = join(import.meta.dirname, 'results');
await mkdir(dir, { recursive: true });
await writeFile(
  join(dir, 'ablation.json'),
  `${JSON.stringify(
    {
      penaltyMultiplier: P,
      windowDays: WINDOW_HOURS / 24,
      traces: rows,
      ideas,
      seconds: round((performance.now() - started) / 1000, 1),
    },
    null,
    2,
  )}\n`,
);
