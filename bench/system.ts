// `npm run bench:system [hours]`: the last hours of the Philly trace through the real runs, on each store engine; time against the in-memory store, cost against the fast model.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { alignColumns } from '../lib/cli/columns.ts';
import { formatUsd, formatUsdForDisplay } from '../lib/domain/money.ts';
import { HOUR_MS } from '../lib/domain/time.ts';
import { createMemoryStore } from '../lib/memory/store.ts';
import { buildScenario } from '../lib/sim/build-scenario.ts';
import { simulateScenario, systemTakeover } from '../lib/sim/simulate.ts';
import { replaySystem, type SystemReplayResult } from '../lib/sim/system/replay.ts';
import { latePenaltyMultiplier, latePenaltyPerGpuHour } from '../lib/sim/scenario.ts';
import { resolveTrace } from '../lib/sim/traces.ts';

const HOURS = Number(process.argv[2] ?? 24);
if (!Number.isInteger(HOURS) || HOURS < 1)
  throw new Error(`hours must be a whole number ≥ 1, got ${process.argv[2]}`);
const HISTORY_HOURS = 28 * 24;

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);

const scenario = await buildScenario(resolveTrace('philly'), {
  lastHours: HISTORY_HOURS + 7 * 24,
  warmupHours: HISTORY_HOURS,
});
process.stderr.write(`fast model: optimizer and oracle over ${scenario.hours - scenario.warmupHours} h\n`);
const fast = await simulateScenario(scenario, { policies: ['optimizer', 'oracle'] });
const optimizer = fast.runs.find((r) => r.name === 'optimizer')!;
const oracle = fast.runs.find((r) => r.name === 'oracle')!;
const takeover = systemTakeover(scenario, optimizer, HOURS);
const fromMs = scenario.startMs + takeover.fromHour * HOUR_MS;
const slice = (run: typeof optimizer) => run.hours.filter((h) => h.atMs >= fromMs);
const fastCost = slice(optimizer).reduce((a, h) => a + h.costUsd, 0n);
const fastLate = slice(optimizer).reduce((a, h) => a + h.lateGpus, 0);
const fastPenalty = slice(optimizer).reduce((a, h) => a + h.latePenaltyUsd, 0n);
// The replay counts late GPU-hours over all classes; the Philly trace has one, so one price of lateness.
if (scenario.classes.length !== 1) throw new Error('bench:system prices lateness for a one-class trace');
const penaltyPerGpuHour = latePenaltyPerGpuHour(scenario, scenario.classes[0]!);
const oracleCost = slice(oracle).reduce((a, h) => a + h.costUsd, 0n);

interface EngineResult {
  engine: string;
  seconds: number;
  secondsPerHour: number;
  eventsPerSecond: number;
  peakRssMiB: number;
  ratioToMemoryStore: number | null;
  costUsd: string;
  lateGpuHours: number;
  reconciled: boolean;
}

const engines = [
  { engine: 'memory store', options: { store: createMemoryStore() } },
  { engine: 'dynalite (embedded)', options: {} },
];
const results: EngineResult[] = [];
let system: SystemReplayResult | undefined;
for (const e of engines) {
  peakRss = process.memoryUsage().rss;
  const started = performance.now();
  const r = await replaySystem(scenario, {
    ...takeover,
    ...e.options,
    onWarmup: (done, of) => process.stderr.write(`${e.engine}: forecast warm-up ${done}/${of} h\r`),
    onHour: (done, of) => process.stderr.write(`${e.engine}: ${done}/${of} h          \r`),
  });
  process.stderr.write('\n');
  const seconds = (performance.now() - started) / 1000;
  const base = results[0];
  results.push({
    engine: e.engine,
    seconds: Math.round(seconds * 10) / 10,
    secondsPerHour: Math.round((seconds / HOURS) * 100) / 100,
    eventsPerSecond: Math.round(r.ingest.records / seconds),
    peakRssMiB: Math.round(Math.max(peakRss, process.memoryUsage().rss) / 2 ** 20),
    ratioToMemoryStore: base ? Math.round((seconds / base.seconds) * 100) / 100 : null,
    costUsd: formatUsd(r.costUsd),
    lateGpuHours: Math.round(r.lateGpuHours * 10) / 10,
    reconciled: r.mismatchedHours.length === 0,
  });
  system = r;
}
clearInterval(sampler);

const last = system!;
const systemPenalized = Number(last.costUsd) + last.lateGpuHours * penaltyPerGpuHour;
const fastPenalized = Number(fastCost + fastPenalty);
const summary = {
  trace: 'philly',
  hours: HOURS,
  from: new Date(fromMs).toISOString(),
  nodesPerHour: Math.round(last.hours.reduce((a, h) => a + h.liveNodes, 0) / last.hours.length),
  eventsIngested: last.ingest.records,
  systemCostUsd: formatUsd(last.costUsd),
  fastModelCostUsd: formatUsd(fastCost),
  oracleCostUsd: formatUsd(oracleCost),
  systemToFastModel: Math.round((Number(last.costUsd) / Number(fastCost)) * 1000) / 1000,
  systemToOracle: Math.round((Number(last.costUsd) / Number(oracleCost)) * 1000) / 1000,
  latePenaltyMultiplier: latePenaltyMultiplier(scenario),
  systemPenalizedCostUsd: formatUsd(BigInt(Math.round(systemPenalized))),
  fastModelPenalizedCostUsd: formatUsd(BigInt(Math.round(fastPenalized))),
  penalizedSystemToFastModel: Math.round((systemPenalized / fastPenalized) * 1000) / 1000,
  systemLateGpuHours: Math.round(last.lateGpuHours * 10) / 10,
  fastModelLateGpuHours: Math.round(fastLate * 10) / 10,
  runs: last.runs.map((r) => ({ ...r, seconds: Math.round(r.seconds * 100) / 100 })),
  engines: results,
};

const header = [
  'engine',
  'seconds',
  's/hour',
  'events/s',
  'peak RSS MiB',
  '× memory store',
  'cost',
  'late GPU-h',
  'reconciled',
];
const rows = results.map((r) => [
  r.engine,
  r.seconds.toFixed(1),
  r.secondsPerHour.toFixed(2),
  r.eventsPerSecond.toLocaleString('en-US'),
  String(r.peakRssMiB),
  r.ratioToMemoryStore === null ? '1.00' : r.ratioToMemoryStore.toFixed(2),
  formatUsdForDisplay(BigInt(Math.round(Number(r.costUsd) * 1e6))),
  r.lateGpuHours.toFixed(1),
  r.reconciled ? 'yes' : 'NO',
]);
console.log(
  `\nsystem replay of philly, last ${HOURS} h from ${summary.from}: ~${summary.nodesPerHour} nodes, ${summary.eventsIngested.toLocaleString('en-US')} events`,
);
for (const line of alignColumns(header, rows)) console.log(line);
console.log(
  `\nreal runs ${formatUsdForDisplay(last.costUsd)} = ${summary.systemToFastModel} × the fast model's optimizer (${formatUsdForDisplay(fastCost)}), ${summary.systemToOracle} × the oracle (${formatUsdForDisplay(oracleCost)}); late ${summary.systemLateGpuHours} GPU-h vs ${summary.fastModelLateGpuHours}`,
);
console.log(
  `penalized (bill + ${summary.latePenaltyMultiplier} × on-demand per late GPU-hour): ${summary.penalizedSystemToFastModel} × the fast model`,
);
console.log(`runs: ${summary.runs.map((r) => `${r.run} ${r.seconds} s`).join(', ')}`);

const dir = join(import.meta.dirname, 'results');
await mkdir(dir, { recursive: true });
await writeFile(join(dir, 'system.json'), `${JSON.stringify(summary, null, 2)}\n`);
