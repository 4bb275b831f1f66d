// `gpu-optimizer forecast`: forecasts a trace's hourly demand and shows every model's backtest scores.
import { resolve } from 'node:path';
import { cleanSeries, forecastSeries, resample, toForecast } from '../../../forecasting/index.ts';
import { HOUR_MS } from '../../domain/time.ts';
import {
  aggregateUsage,
  ANY_LABEL,
  demandOf,
  jobRowsOf,
  jobsToUsage,
  openTraceFile,
  TraceFormatError,
  usageRowsOf,
  type JobRow,
  type UsageRow,
} from '../../sim/trace/index.ts';
import { EXIT_FAILURE, EXIT_OK, numberFlag, stringFlag, UsageError, type Command } from '../command.ts';

async function usageOf(path: string): Promise<AsyncIterable<UsageRow> | UsageRow[]> {
  const trace = await openTraceFile(path);
  if (trace.kind === 'usage') return usageRowsOf(trace);
  const jobs: JobRow[] = [];
  for await (const job of jobRowsOf(trace)) jobs.push(job);
  const endMs = jobs.reduce((m, j) => Math.max(m, j.endMs ?? j.startMs ?? j.submitMs), 0);
  return jobsToUsage(jobs, { stepMs: HOUR_MS, endMs: Math.ceil(endMs / HOUR_MS) * HOUR_MS });
}

export const forecastCommand: Command = {
  name: 'forecast',
  summary: "Forecast a trace's hourly GPU demand (busy + pending) and show why the model was chosen",
  positionals: '',
  flags: {
    trace: {
      type: 'string',
      description: 'Usage or job trace CSV (the format of data/*/SOURCE.md)',
      valueName: 'file',
    },
    class: {
      type: 'string',
      description: 'Only rows of this team (default: every row summed)',
      valueName: 'team',
    },
    horizon: { type: 'string', default: '24', description: 'Hours ahead', valueName: 'hours' },
    origins: {
      type: 'string',
      default: '4',
      description: 'Backtest origins (one a day) that score the models',
      valueName: 'n',
    },
    json: { type: 'boolean', description: 'Print the forecast as JSON (the Forecast contract)' },
  },
  details: 'Example: gpu-optimizer forecast --trace data/philly/philly-5min.csv --horizon 48 --json',
  async run({ flags }, io) {
    const file = stringFlag(flags, 'trace');
    if (!file) throw new UsageError('--trace is required');
    const horizon = numberFlag(flags, 'horizon', { min: 1, max: 24 * 14, integer: true }) ?? 24;
    const origins = numberFlag(flags, 'origins', { min: 1, max: 60, integer: true }) ?? 4;
    const team = stringFlag(flags, 'class');
    try {
      const rows = await usageOf(resolve(io.cwd, file));
      const series = await aggregateUsage(rows, {
        stepMs: HOUR_MS,
        keyOf: (r) => ({ team: team === undefined ? ANY_LABEL : (r.team ?? ANY_LABEL), pool: ANY_LABEL }),
      });
      const chosen = series.find((s) => s.key.team === (team ?? ANY_LABEL));
      if (!chosen) throw new UsageError(`no rows of team ${JSON.stringify(team)} in ${file}`);
      const hourly = resample(demandOf(chosen), HOUR_MS);
      const cleaned = cleanSeries(hourly);
      const result = forecastSeries({ ...hourly, values: cleaned.values }, { horizon, origins });
      const issuedMs = hourly.startMs + hourly.values.length * HOUR_MS;
      const forecast = toForecast(team ?? 'all', issuedMs, HOUR_MS, result);
      if (flags.json) {
        io.stdout(
          `${JSON.stringify({ ...forecast, gapsFilled: cleaned.filled.length, outliersClipped: cleaned.clipped.length }, null, 2)}\n`,
        );
        return EXIT_OK;
      }
      const f = (x: number | null, d = 3) => (x === null ? 'n/a' : x.toFixed(d));
      const lines = [
        `${hourly.values.length} hourly points, ${cleaned.filled.length} gap hours filled, ${cleaned.clipped.length} outliers clipped`,
        `chosen: ${result.model} (lowest backtest MASE over ${result.originIndices.length} origins)`,
        '',
        `${'model'.padEnd(24)}${'MASE'.padStart(8)}${'sMAPE %'.padStart(9)}${'pinball'.padStart(9)}${'p90 cov'.padStart(9)}`,
        ...result.scores.map(
          (s) =>
            `${s.model.padEnd(24)}${f(s.mase).padStart(8)}${f(s.smape, 2).padStart(9)}${f(s.pinball, 2).padStart(9)}${(s.coverageP90 === null ? 'n/a' : `${(s.coverageP90 * 100).toFixed(0)}%`).padStart(9)}`,
        ),
        '',
        `${'hour'.padEnd(22)}${'point'.padStart(9)}${'p50'.padStart(9)}${'p90'.padStart(9)}${'p99'.padStart(9)}`,
        ...forecast.steps.map(
          (s) =>
            `${s.at.padEnd(22)}${f(s.point, 1).padStart(9)}${f(s.p50, 1).padStart(9)}${f(s.p90, 1).padStart(9)}${f(s.p99, 1).padStart(9)}`,
        ),
      ];
      io.stdout(`${lines.join('\n')}\n`);
      return EXIT_OK;
    } catch (error) {
      if (error instanceof UsageError) throw error;
      if (error instanceof TraceFormatError || error instanceof Error) {
        io.stderr(`${error.message}\n`);
        return EXIT_FAILURE;
      }
      throw error;
    }
  },
};
