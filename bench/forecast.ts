// `npm run bench:forecast`: 24-h-ahead accuracy on every converted trace, and the time to fit + select 1,000 series.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { HOUR_MS, toRfc3339 } from '../lib/domain/time.ts';
import { aggregateUsage, demandOf, openTraceFile, usageRowsOf } from '../lib/sim/trace/index.ts';
import {
  cleanSeries,
  coverage,
  forecastSeries,
  mase,
  naiveScale,
  resample,
  smape,
  stepsPerDay,
  type Series,
} from '../forecasting/index.ts';

const ROOT = join(import.meta.dirname, '..');
const TRACES = [
  { name: 'philly', file: 'data/philly/philly-5min.csv' },
  { name: 'alibaba-dlrm', file: 'data/research/alibaba-dlrm/alibaba-dlrm-5min.csv' },
  { name: 'helios-venus', file: 'data/research/helios-venus/venus-10min.csv' },
];
const HORIZON = 24;
const BASELINE = 'seasonal-naive-daily';

async function hourlyDemand(file: string): Promise<Series> {
  const trace = await openTraceFile(join(ROOT, file));
  const [series] = await aggregateUsage(usageRowsOf(trace), {
    stepMs: HOUR_MS,
    keyOf: () => ({ team: '*', pool: '*' }),
  });
  return resample(demandOf(series!), HOUR_MS);
}

interface Tally {
  mase: number[];
  smape: number[];
  coverageP90: number[];
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

async function accuracy(name: string, file: string) {
  const series = await hourlyDemand(file);
  // Actuals are the raw hourly values (gap hours are left out of the scores); training is cleaned per origin,
  // from the values before the origin only, so no future value leaks into the fit.
  const values = series.values;
  const day = stepsPerDay(HOUR_MS);
  const weeks = values.length / (7 * day);
  const originDays = weeks < 8 ? 7 : 28;
  const tallies = new Map<string, Tally>();
  const chosen: string[] = [];
  const add = (model: string, actual: number[], point: number[], p90: number[], scale: number) => {
    const t = tallies.get(model) ?? { mase: [], smape: [], coverageP90: [] };
    t.mase.push(mase(actual, point, scale));
    t.smape.push(smape(actual, point));
    t.coverageP90.push(coverage(actual, p90));
    tallies.set(model, t);
  };
  for (let j = originDays - 1; j >= 0; j--) {
    const origin = values.length - HORIZON - j * day;
    const training = cleanSeries({ ...series, values: values.slice(0, origin) }).values;
    const known = values.slice(origin, origin + HORIZON).flatMap((v, k) => (Number.isFinite(v) ? [k] : []));
    const actual = known.map((k) => values[origin + k]!);
    const pick = (xs: number[]) => known.map((k) => xs[k]!);
    const scale = naiveScale(training, day);
    const result = forecastSeries(
      { startMs: series.startMs, stepMs: HOUR_MS, values: training },
      { horizon: HORIZON, allCandidates: true },
    );
    chosen.push(result.model);
    for (const c of result.candidates ?? []) add(c.model, actual, pick(c.point), pick(c.p90), scale);
    add('selected', actual, pick(result.point), pick(result.p90), scale);
  }
  const rows = [...tallies.entries()].map(([model, t]) => ({
    model,
    mase: mean(t.mase),
    smape: mean(t.smape),
    coverageP90: mean(t.coverageP90),
  }));
  const baseline = rows.find((r) => r.model === BASELINE)!;
  const selected = rows.find((r) => r.model === 'selected')!;
  return {
    trace: name,
    hours: values.length,
    from: toRfc3339(series.startMs),
    origins: originDays,
    gapsFilled: cleanSeries(series).filled.length,
    chosenCounts: Object.fromEntries(
      [...new Set(chosen)].map((m) => [m, chosen.filter((c) => c === m).length]),
    ),
    rows,
    selectedMaseRatio: selected.mase / baseline.mase,
    meetsMase: selected.mase <= 0.85 * baseline.mase,
    meetsCoverage: selected.coverageP90 >= 0.85 && selected.coverageP90 <= 0.95,
  };
}

/** A deterministic hourly series with daily and weekly cycles, a trend and noise, for the timing run. */
function syntheticSeries(seed: number, length: number): number[] {
  let state = seed * 2654435761 + 1;
  const noise = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648 - 0.5;
  };
  const base = 50 + (seed % 200);
  return Array.from({ length }, (_, t) => {
    const daily = Math.sin((2 * Math.PI * t) / 24) * base * 0.3;
    const weekly = (t / 24) % 7 >= 5 ? -base * 0.2 : 0;
    return Math.max(0, base + daily + weekly + t * 0.002 + noise() * base * 0.1);
  });
}

function timing(seriesCount: number, length: number) {
  const all = Array.from({ length: seriesCount }, (_, i) => syntheticSeries(i + 1, length));
  const startMs = Date.parse('2025-01-06T00:00:00Z');
  const t0 = performance.now();
  for (const values of all)
    forecastSeries({ startMs, stepMs: HOUR_MS, values }, { horizon: HORIZON, origins: 4 });
  return (performance.now() - t0) / 1000;
}

const results = [];
for (const t of TRACES) results.push(await accuracy(t.name, t.file));

const fmt = (x: number, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
console.log(
  `24-h-ahead forecasts, daily rolling origins, refit at each origin (MASE scaled by in-sample 1-day seasonal naive)\n`,
);
for (const r of results) {
  console.log(
    `${r.trace}: ${r.hours} hourly points from ${r.from}, ${r.origins} origins, ${r.gapsFilled} gap hours filled; chosen: ${JSON.stringify(r.chosenCounts)}`,
  );
  console.log(
    `  ${'model'.padEnd(24)} ${'MASE'.padStart(7)} ${'sMAPE %'.padStart(8)} ${'p90 cov'.padStart(8)}`,
  );
  for (const row of r.rows)
    console.log(
      `  ${row.model.padEnd(24)} ${fmt(row.mase).padStart(7)} ${fmt(row.smape, 2).padStart(8)} ${fmt(row.coverageP90 * 100, 1).padStart(7)}%`,
    );
  console.log(
    `  selected / seasonal naive MASE = ${fmt(r.selectedMaseRatio)} (target ≤ 0.85: ${r.meetsMase ? 'met' : 'NOT met'}); p90 coverage in 85–95 %: ${r.meetsCoverage ? 'met' : 'NOT met'}\n`,
  );
}

const seriesCount = Number(process.env.BENCH_FORECAST_SERIES ?? 1000);
const seconds = timing(seriesCount, 4000);
const scaledTo1000 = (seconds * 1000) / seriesCount;
console.log(
  `fit + select, ${seriesCount} series × 4,000 hourly points × 4 origins, 4 models + combination: ${seconds.toFixed(1)} s` +
    (seriesCount === 1000
      ? ''
      : ` (scaled to 1,000 series: ${scaledTo1000.toFixed(1)} s — scaled, not measured)`) +
    ` (target ≤ 60 s: ${scaledTo1000 <= 60 ? 'met' : 'NOT met'})`,
);

await mkdir(join(ROOT, 'bench/results'), { recursive: true });
await writeFile(
  join(ROOT, 'bench/results/forecast.json'),
  `${JSON.stringify({ horizonHours: HORIZON, baseline: BASELINE, traces: results, timing: { series: seriesCount, points: 4000, origins: 4, seconds, measured: seriesCount === 1000 } }, null, 2)}\n`,
);
