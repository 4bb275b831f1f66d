// `npm run bench:simulate`: every converted trace through every policy; cost against the oracle, the optimizer against the best other.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { formatUsdForDisplay } from '../lib/domain/money.ts';
import { buildScenario } from '../lib/sim/build-scenario.ts';
import { summarize } from '../lib/sim/output/summary.ts';
import { simulateScenario } from '../lib/sim/simulate.ts';
import { TRACE_PROFILES } from '../lib/sim/traces.ts';

// Long traces are cut to their last 10 weeks (4 weeks of history + 6 billed) so the bench stays minutes, not hours.
const LAST_HOURS = 70 * 24;

interface TraceResult {
  trace: string;
  research: boolean;
  billedHours: number;
  seconds: number;
  peakRssMiB: number;
  policies: {
    name: string;
    costUsd: string;
    ratioToOracle: number | null;
    lateGpuHours: number;
    interruptions: number;
  }[];
  optimizerToOracle: number | null;
  optimizerToBestOther: number | null;
  bestOther: string | null;
  optimizerLateGpuHours: number;
  fewestLateGpuHoursOfOthers: number;
  attributionReconciled: boolean;
}

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);

const results: TraceResult[] = [];
for (const profile of TRACE_PROFILES) {
  peakRss = process.memoryUsage().rss;
  const started = performance.now();
  const scenario = await buildScenario(profile, { lastHours: LAST_HOURS });
  const result = await simulateScenario(scenario, {
    onProgress: (policy, done, of) => {
      if (done === of) process.stderr.write(`${profile.name}: ${policy} done\n`);
    },
  });
  const seconds = (performance.now() - started) / 1000;
  const summary = summarize(result);
  const optimizer = summary.policies.find((p) => p.name === 'optimizer')!;
  const others = summary.policies.filter((p) => p.name !== 'optimizer' && p.name !== 'oracle');
  results.push({
    trace: profile.name,
    research: profile.research,
    billedHours: summary.billedHours,
    seconds: Math.round(seconds * 10) / 10,
    peakRssMiB: Math.round(Math.max(peakRss, process.memoryUsage().rss) / 2 ** 20),
    policies: summary.policies.map((p) => ({
      name: p.name,
      costUsd: p.costUsd,
      ratioToOracle: p.ratioToOracle,
      lateGpuHours: p.lateGpuHours,
      interruptions: p.interruptions,
    })),
    optimizerToOracle: optimizer.ratioToOracle,
    optimizerToBestOther: summary.optimizerVsBestOther?.ratio ?? null,
    bestOther: summary.optimizerVsBestOther?.bestOther ?? null,
    optimizerLateGpuHours: optimizer.lateGpuHours,
    fewestLateGpuHoursOfOthers: Math.min(...others.map((p) => p.lateGpuHours)),
    attributionReconciled: summary.attribution?.reconciled ?? false,
  });
}
clearInterval(sampler);

const names = results[0]!.policies.map((p) => p.name);
console.log(
  `\nCost ÷ oracle per policy (last ${LAST_HOURS / 24} days of each trace, the first 28 as history)\n`,
);
console.log(['trace'.padEnd(14), ...names.map((n) => n.padStart(19))].join(''));
for (const r of results) {
  console.log(
    [r.trace.padEnd(14), ...r.policies.map((p) => (p.ratioToOracle?.toFixed(3) ?? '–').padStart(19))].join(
      '',
    ),
  );
}
console.log(
  '\ntrace          optimizer÷best other  best other           late GPU-h (opt / fewest other)  reconciled  seconds  peak RSS',
);
for (const r of results) {
  const optimizerCost = r.policies.find((p) => p.name === 'optimizer')!.costUsd;
  console.log(
    `${r.trace.padEnd(15)}${(r.optimizerToBestOther?.toFixed(3) ?? '–').padEnd(22)}${(r.bestOther ?? '–').padEnd(21)}${`${Math.round(r.optimizerLateGpuHours)} / ${Math.round(r.fewestLateGpuHoursOfOthers)}`.padEnd(33)}${String(r.attributionReconciled).padEnd(12)}${String(r.seconds).padEnd(9)}${r.peakRssMiB} MiB   (optimizer ${formatUsdForDisplay(BigInt(optimizerCost.replace('.', '')))})`,
  );
}
const out = join(import.meta.dirname, 'results');
await mkdir(out, { recursive: true });
await writeFile(
  join(out, 'simulate.json'),
  `${JSON.stringify({ lastHours: LAST_HOURS, node: process.version, results }, null, 2)}\n`,
);
console.log(`\nwrote ${join('bench', 'results', 'simulate.json')}`);
