// `npm run bench:forecast`: 24-h-ahead accuracy on every converted trace, and the time to fit + select 1,000 series.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { existsSync } from 'node:fs';
import { alignColumns } from '../lib/cli/columns.ts';
import { HOUR_MS, toRfc3339 } from '../lib/domain/time.ts';
import { TRACE_PROFILES } from '../lib/sim/traces.ts';
import { aggregateUsage, demandOf, openTraceFile, usageRowsOf } from '../lib/sim/trace/index.ts';
import {
  adaptiveLevel,
  cleanSeries,
  coverage,
  forecastHierarchy,
  forecastSeries,
  mase,
  missShare,
  naiveScale,
  resample,
  stepsPerDay,
  TOTAL,
} from '../forecasting/index.ts';

const ROOT = join(import.meta.dirname, '..');
const HORIZON = 24;
const BASELINE = 'seasonal-naive-daily';

/** Hourly demand per team of a trace, aligned on one clock (a team absent from the file at an hour is 0). */
async function hourlyTeams(
  file: string,
): Promise<{ startMs: number; teams: { name: string; values: number[] }[] }> {
  const trace = await openTraceFile(file);
  const series = await aggregateUsage(usageRowsOf(trace), {
    stepMs: HOUR_MS,
    keyOf: (row) => ({ team: row.team ?? '*', pool: '*' }),
  });
  const resampled = series.map((s) => ({ name: s.key.team, series: resample(demandOf(s), HOUR_MS) }));
  const startMs = Math.min(...resampled.map((r) => r.series.startMs));
  const endMs = Math.max(...resampled.map((r) => r.series.startMs + r.series.values.length * HOUR_MS));
  const length = (endMs - startMs) / HOUR_MS;
  return {
    startMs,
    teams: resampled.map(({ name, series: s }) => {
      const offset = (s.startMs - startMs) / HOUR_MS;
      return {
        name,
        values: Array.from({ length }, (_, t) =>
          t < offset || t >= offset + s.values.length ? 0 : s.values[t - offset]!,
        ),
      };
    }),
  };
}

interface Tally {
  naiveMase: number[];
  selectedMase: number[];
  coverageP90: number[];
  fixedLevelCoverageP90: number[];
}
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);
const tally = (): Tally => ({ naiveMase: [], selectedMase: [], coverageP90: [], fixedLevelCoverageP90: [] });

async function accuracy(name: string, file: string) {
  const { startMs, teams } = await hourlyTeams(file);
  const length = teams[0]!.values.length;
  const day = stepsPerDay(HOUR_MS);
  const originDays = length / (7 * day) < 8 ? 7 : 28;
  const names = [TOTAL, ...teams.map((t) => t.name)];
  const tallies = new Map(names.map((n) => [n, tally()]));
  const levels = new Map(names.map((n) => [n, adaptiveLevel()]));
  const methods: string[] = [];
  for (let j = originDays - 1; j >= 0; j--) {
    const origin = length - HORIZON - j * day;
    // Training is cleaned per origin from the values before it only, so no future value leaks into the fit.
    const training = teams.map((t) => ({
      name: t.name,
      values: cleanSeries({ startMs, stepMs: HOUR_MS, values: t.values.slice(0, origin) }).values,
    }));
    const p90Levels = Object.fromEntries(names.map((n) => [n, levels.get(n)!.level]));
    const input = { startMs, stepMs: HOUR_MS, teams: training };
    const adaptive = forecastHierarchy(input, { horizon: HORIZON, p90Levels });
    const fixed = forecastHierarchy(input, { horizon: HORIZON });
    methods.push(adaptive.method);
    for (const n of names) {
      const trainingValues =
        n === TOTAL
          ? Array.from({ length: origin }, (_, t) => training.reduce((s, team) => s + team.values[t]!, 0))
          : training.find((t) => t.name === n)!.values;
      const actualValues =
        n === TOTAL
          ? Array.from({ length: HORIZON }, (_, k) => teams.reduce((s, t) => s + t.values[origin + k]!, 0))
          : teams.find((t) => t.name === n)!.values.slice(origin, origin + HORIZON);
      const pick = (r: typeof adaptive) => (n === TOTAL ? r.total : r.teams.find((t) => t.name === n)!);
      const scale = naiveScale(trainingValues, day);
      const naive = trainingValues.slice(trainingValues.length - day);
      const t = tallies.get(n)!;
      if (scale > 0) {
        t.naiveMase.push(mase(actualValues, naive, scale));
        t.selectedMase.push(mase(actualValues, pick(adaptive).point, scale));
      }
      t.coverageP90.push(coverage(actualValues, pick(adaptive).p90));
      t.fixedLevelCoverageP90.push(coverage(actualValues, pick(fixed).p90));
      levels.get(n)!.observe(missShare(actualValues, pick(adaptive).p90));
    }
  }
  const row = (n: string) => {
    const t = tallies.get(n)!;
    const seasonalNaiveMase = mean(t.naiveMase);
    const selectedMase = mean(t.selectedMase);
    return {
      name: n,
      seasonalNaiveMase,
      selectedMase,
      ratio: selectedMase / seasonalNaiveMase,
      p90Coverage: mean(t.coverageP90),
      fixedLevelP90Coverage: mean(t.fixedLevelCoverageP90),
    };
  };
  const total = row(TOTAL);
  return {
    name,
    hours: length,
    from: toRfc3339(startMs),
    origins: originDays,
    seasonalNaiveMase: total.seasonalNaiveMase,
    selectedMase: total.selectedMase,
    ratio: total.ratio,
    p90Coverage: total.p90Coverage,
    fixedLevelP90Coverage: total.fixedLevelP90Coverage,
    reconciliation: Object.fromEntries(
      [...new Set(methods)].map((m) => [m, methods.filter((x) => x === m).length]),
    ),
    teams: teams.length > 1 ? teams.map((t) => row(t.name)) : [],
    meetsMase: total.ratio <= 0.85,
    meetsCoverage: total.p90Coverage >= 0.85 && total.p90Coverage <= 0.95,
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

const only = process.argv[2];
const results = [];
for (const profile of TRACE_PROFILES.filter((p) => existsSync(p.file) && (!only || p.name === only))) {
  process.stderr.write(`forecasting ${profile.name}…\n`);
  results.push(await accuracy(profile.name, profile.file));
}

const fmt = (x: number, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)} %` : 'n/a');
console.log(
  '24-h-ahead forecasts from daily rolling origins, refitted at each origin; teams reconciled to their total; p90 bands at adaptive conformal levels (MASE scaled by the in-sample 1-day seasonal naive)\n',
);
console.log(
  alignColumns(
    [
      'trace / team',
      'seasonal naive MASE',
      'selected MASE',
      'ratio (≤ 0.85)',
      'p90 coverage (85–95 %)',
      'at a fixed p90',
    ],
    results.flatMap((r) => [
      [
        `${r.name} (${r.teams.length || 1} team${r.teams.length > 1 ? 's' : ''}, total)`,
        fmt(r.seasonalNaiveMase),
        fmt(r.selectedMase),
        fmt(r.ratio),
        pct(r.p90Coverage),
        pct(r.fixedLevelP90Coverage),
      ],
      ...r.teams.map((t) => [
        `  ${t.name}`,
        fmt(t.seasonalNaiveMase),
        fmt(t.selectedMase),
        fmt(t.ratio),
        pct(t.p90Coverage),
        pct(t.fixedLevelP90Coverage),
      ]),
    ]),
  ).join('\n'),
);
for (const r of results)
  console.log(
    `${r.name}: ${r.hours} hours from ${r.from}, ${r.origins} origins, reconciliation ${JSON.stringify(r.reconciliation)}`,
  );

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
