// `npm run bench:planner`: solve time and peak memory of the capacity planner for 10, 100 and 1,000 pools over 168 hours, against the same parts solved from LP text.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseUsd } from '../lib/domain/money.ts';
import { zPool, type Pool } from '../lib/domain/pool.ts';
import type { PriceQuote } from '../lib/domain/price.ts';
import { zWorkloadClass, type WorkloadClass } from '../lib/domain/workload.ts';
import { solveLp } from '../lib/optimizer/planner/highs.ts';
import {
  buildPeriods,
  DEFAULT_PERIOD_LAYOUT,
  DEFAULT_PLANNER_SETTINGS,
  HOURLY_LAYOUT,
  planCapacity,
  type PeriodBlock,
  type PlannerInput,
} from '../lib/optimizer/planner/index.ts';
import { buildComponentModel } from '../lib/optimizer/planner/model.ts';
import { buildOffers, splitComponents } from '../lib/optimizer/planner/offers.ts';

const START_MS = Date.parse('2026-03-02T00:00:00Z');
// Ten GPU families; each has its own classes, so pools split into ten independent groups (as real fleets do:
// an LLM class that needs 80 GiB never shares a pool with one pinned to L4s).
const FAMILIES = ['A100', 'H100', 'L4', 'A10G', 'V100', 'T4', 'L40S', 'H200', 'MI300X', 'A6000'];

interface Case {
  name: string;
  pools: number;
  horizonHours: number;
  layout: 'coarse' | 'hourly';
}

function scenario(poolCount: number, horizonHours: number): PlannerInput {
  const pools: Pool[] = [];
  const prices: PriceQuote[] = [];
  for (let i = 0; i < poolCount; i++) {
    const family = FAMILIES[i % FAMILIES.length]!;
    const onPrem = i < FAMILIES.length && poolCount >= 100;
    const id = `${onPrem ? 'dc' : 'aws'}:r${i % 7}:z${i % 3}:${family.toLowerCase()}-${i}`;
    const gpus = [1, 4, 8][i % 3]!;
    pools.push(
      zPool.parse({
        id,
        provider: onPrem ? 'onprem' : 'aws',
        region: `r${i % 7}`,
        zone: `z${i % 3}`,
        instanceType: `${family.toLowerCase()}-${gpus}`,
        gpuModel: family,
        gpusPerInstance: gpus,
        gpuMemoryGiB: 80,
        interconnect: 'nvswitch',
        bootSeconds: 300 + (i % 5) * 60,
        ...(onPrem ? { maxInstances: 4 } : {}),
      }),
    );
    if (onPrem) continue;
    const perGpu = 1 + (i % 10) * 0.3 + (i % 13) * 0.05;
    const quote = (
      option: PriceQuote['option'],
      usd: number,
      extra: Partial<PriceQuote> = {},
    ): PriceQuote => ({
      poolId: id,
      option,
      usdPerHour: parseUsd((usd * gpus).toFixed(6)),
      asOf: '2026-03-01T00:00:00Z',
      source: 'sim',
      modelled: true,
      ...extra,
    });
    prices.push(quote('on-demand', perGpu));
    prices.push(
      quote('spot', perGpu * (0.3 + (i % 4) * 0.1), { spotInterruptionRatePerHour: 0.01 * (1 + (i % 5)) }),
    );
  }
  const classes: WorkloadClass[] = [];
  const demand: Record<string, number[]> = {};
  const poolsPerFamily = Math.max(1, Math.floor(poolCount / FAMILIES.length));
  for (const [f, family] of FAMILIES.slice(0, Math.min(FAMILIES.length, poolCount)).entries()) {
    for (const [k, spotShare] of [0.5, 1].entries()) {
      const id = `${family.toLowerCase()}-${k === 0 ? 'train' : 'batch'}`;
      classes.push(zWorkloadClass.parse({ id, team: `team${f}`, allowedGpuModels: [family], spotShare }));
      const base = poolsPerFamily * 2 * (k === 0 ? 1 : 0.5);
      demand[id] = Array.from({ length: horizonHours }, (_, h) =>
        Math.round(base * (1 + 0.5 * Math.sin((2 * Math.PI * (h + f)) / 24) + 0.1 * Math.sin(h / 7))),
      );
    }
  }
  return { startMs: START_MS, horizonHours, pools, prices, classes, demand };
}

/**
 * The baseline: the same parts built the same way, but written as CPLEX LP text and parsed by HiGHS (how the
 * planner handed them over before). Returns the sum of the parts' optima, which the plan's must equal.
 */
async function solveAsLpText(input: PlannerInput, periodLayout: readonly PeriodBlock[]): Promise<number> {
  const settings = { ...DEFAULT_PLANNER_SETTINGS, periodLayout };
  const periods = buildPeriods(input.startMs, input.horizonHours, periodLayout);
  let objective = 0;
  for (const component of splitComponents(input.classes, buildOffers(input))) {
    if (component.offers.length === 0) continue;
    const built = buildComponentModel(component, periods, input.demand, settings);
    objective += (await solveLp(built.model.toLpText(true), { solver: 'simplex' })).objective;
  }
  return objective;
}

async function runCase(c: Case) {
  // The first solve in a process pays for compiling HiGHS's wasm to optimized code; it is measured apart.
  const coldStarted = performance.now();
  await planCapacity(scenario(10, 168));
  const coldStartSeconds = (performance.now() - coldStarted) / 1000;
  const input = scenario(c.pools, c.horizonHours);
  const cpuBefore = process.cpuUsage();
  const layout: readonly PeriodBlock[] = c.layout === 'hourly' ? HOURLY_LAYOUT : DEFAULT_PERIOD_LAYOUT;
  const started = performance.now();
  const result = await planCapacity(input, { periodLayout: layout });
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const peakRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
  const baselineStarted = performance.now();
  const baselineObjective = await solveAsLpText(input, layout);
  const baselineSeconds = (performance.now() - baselineStarted) / 1000;
  // The baseline ran with the solver's code fully compiled; the speed-up compares it with a second, equally warm solve.
  const warmStarted = performance.now();
  await planCapacity(input, { periodLayout: layout });
  const warmSeconds = (performance.now() - warmStarted) / 1000;
  const biggest = result.stats.components.reduce((a, b) => (b.variables > a.variables ? b : a));
  return {
    ...c,
    periods: result.periods.length,
    components: result.stats.components.length,
    variables: result.stats.components.reduce((n, s) => n + s.variables, 0),
    rows: result.stats.components.reduce((n, s) => n + s.rows, 0),
    largestComponentVariables: biggest.variables,
    seconds: Math.round(seconds * 100) / 100,
    cpuSeconds: Math.round((cpu.user + cpu.system) / 1e4) / 100,
    coldStartSeconds: Math.round(coldStartSeconds * 100) / 100,
    loadAverage: Math.round(loadavg()[0]! * 10) / 10,
    peakRssMiB,
    planLines: result.plan.lines.length,
    baselineSeconds: Math.round(baselineSeconds * 100) / 100,
    warmSeconds: Math.round(warmSeconds * 100) / 100,
    speedup: Math.round((baselineSeconds / warmSeconds) * 10) / 10,
    sameOptimum: Math.abs(result.objective - baselineObjective) <= 1e-9 * Math.abs(baselineObjective),
  };
}

const CASES: Case[] = [
  { name: '10 pools × 168 h', pools: 10, horizonHours: 168, layout: 'coarse' },
  { name: '100 pools × 168 h', pools: 100, horizonHours: 168, layout: 'coarse' },
  { name: '1,000 pools × 168 h', pools: 1000, horizonHours: 168, layout: 'coarse' },
  { name: '100 pools × 24 h', pools: 100, horizonHours: 24, layout: 'coarse' },
  { name: '100 pools × 72 h', pools: 100, horizonHours: 72, layout: 'coarse' },
  { name: '100 pools × 168 h hourly', pools: 100, horizonHours: 168, layout: 'hourly' },
  { name: '300 pools × 168 h', pools: 300, horizonHours: 168, layout: 'coarse' },
];

const childCase = process.argv.indexOf('--case');
if (childCase >= 0) {
  const c = CASES[Number(process.argv[childCase + 1])]!;
  console.log(JSON.stringify(await runCase(c)));
} else {
  // Each case runs in its own process so that its peak memory is its own.
  const self = fileURLToPath(import.meta.url);
  // `--only "1,000 pools"` runs the cases whose name contains the text; `--quick` the two smallest.
  const onlyAt = process.argv.indexOf('--only');
  const only = CASES.map((_, i) => i).filter((i) =>
    onlyAt >= 0
      ? CASES[i]!.name.includes(process.argv[onlyAt + 1] ?? '')
      : !process.argv.includes('--quick') || i < 2,
  );
  const rows = only.map((i) => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', self, '--case', String(i)], {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    });
    const row = JSON.parse(out.trim().split('\n').pop()!) as Awaited<ReturnType<typeof runCase>>;
    console.error(`done: ${row.name} in ${row.seconds} s`);
    return row;
  });
  console.log(
    'case                          periods  groups  variables     rows  seconds  cpu s  cold s  peak RSS MiB  load  warm s  LP text s  speed-up  same optimum',
  );
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(30)}${String(r.periods).padStart(7)}${String(r.components).padStart(8)}${String(r.variables).padStart(11)}${String(r.rows).padStart(9)}${r.seconds.toFixed(2).padStart(9)}${r.cpuSeconds.toFixed(2).padStart(7)}${r.coldStartSeconds.toFixed(2).padStart(8)}${String(r.peakRssMiB).padStart(14)}${r.loadAverage.toFixed(1).padStart(6)}${r.warmSeconds.toFixed(2).padStart(8)}${r.baselineSeconds.toFixed(2).padStart(11)}${`${r.speedup.toFixed(1)}×`.padStart(10)}${(r.sameOptimum ? 'yes' : 'NO').padStart(14)}`,
    );
  }
  // The plan must not change with the way the model reaches the solver.
  const differing = rows.filter((r) => !r.sameOptimum).map((r) => r.name);
  if (differing.length > 0) {
    console.error(`the optimum differs from the LP text baseline's in: ${differing.join(', ')}`);
    process.exitCode = 1;
  }
  // A partial run (one row while iterating) leaves the recorded figures alone.
  if (onlyAt >= 0) process.exit();
  const file = join(dirname(self), 'results', 'planner.json');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(
    file,
    `${JSON.stringify({ node: process.version, targets: { '100 pools': '≤ 5 s', '1,000 pools': '≤ 20 s, ≤ 2 GiB' }, rows }, null, 2)}\n`,
  );
  console.log(`wrote ${file}`);
}
