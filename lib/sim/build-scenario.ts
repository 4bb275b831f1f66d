// Builds a scenario from a trace file: hourly demand per team, cloud pools from the catalog, spot capacity from real traces.
import type { WorkloadClass } from '../domain/workload.ts';
import { HOUR_MS, toRfc3339 } from '../domain/time.ts';
import { loadCatalog, type Catalog } from '../pricing/catalog.ts';
import { aggregateUsage, demandOf, jobsToUsage } from './trace/aggregate.ts';
import { ANY_LABEL } from './trace/format.ts';
import { openTraceFile } from './trace/reader.ts';
import { loadSpotFractions, spotCapacitySeries } from './spot-market.ts';
import { spotPriceSeriesByZone } from './spot-prices.ts';
import type { Scenario, SimClass, SimPool } from './scenario.ts';
import type { TraceProfile } from './traces.ts';

export interface BuildOptions {
  fromMs?: number;
  toMs?: number;
  /** History before the first billed hour, for forecasts and commitment lookbacks. */
  warmupHours?: number;
  /** Keep only the last this many hours of the trace (benches bound long traces this way). */
  lastHours?: number;
  /** Spot capacity of all zones together, as a share of the peak demand. */
  spotCapacityShareOfPeak?: number;
  /** P: a late GPU-hour costs this many on-demand GPU-hours of the class's cheapest pool (default 1). */
  latePenaltyMultiplier?: number;
  /** Spot priced flat at this share of on-demand (modelled) instead of the recorded or catalog series. */
  spotPriceRatio?: number;
  catalog?: Catalog;
}

/** History a period keeps when none is asked for: 28 days, but never more than this share of a short period. */
export const DEFAULT_HISTORY_HOURS = 28 * 24;
export const DEFAULT_HISTORY_SHARE = 0.4;

/**
 * The hours of a period kept as history: what was asked for, exactly (an error when it would leave nothing to
 * bill), else the default, cut to 40 % of a period too short for it so that most of it is billed.
 */
export function historyHoursOf(periodHours: number, asked?: number): number {
  if (asked === undefined)
    return Math.min(DEFAULT_HISTORY_HOURS, Math.floor(periodHours * DEFAULT_HISTORY_SHARE));
  if (asked >= periodHours)
    throw new ScenarioError(
      `${asked} hours of history leave nothing to bill in the ${periodHours}-hour period: start the period earlier (--from) or ask for less history (--warmup-days)`,
      '--warmup-days',
    );
  return asked;
}

export class ScenarioError extends Error {
  /** The command-line flag the error is about, so the CLI can name it. */
  constructor(
    message: string,
    readonly flag = '--trace',
  ) {
    super(message);
    this.name = 'ScenarioError';
  }
}

/** Hourly demand per team: the mean of the trace's steps in each hour; a gap takes the last known level. */
async function hourlyDemandByTeam(
  profile: TraceProfile,
): Promise<{ startMs: number; byTeam: Map<string, number[]> }> {
  const trace = await openTraceFile(profile.file);
  const keyOf = (row: { team?: string }) => ({ team: row.team ?? ANY_LABEL, pool: ANY_LABEL });
  let series;
  if (trace.kind === 'usage') {
    series = await aggregateUsage(trace.rows, { stepMs: HOUR_MS, keyOf });
  } else {
    const jobs = [];
    let endMs = 0;
    for await (const job of trace.rows) {
      jobs.push(job);
      endMs = Math.max(endMs, job.endMs ?? job.startMs ?? job.submitMs);
    }
    series = await aggregateUsage(await jobsToUsage(jobs, { stepMs: HOUR_MS, endMs }), {
      stepMs: HOUR_MS,
      keyOf,
    });
  }
  if (series.length === 0) throw new ScenarioError(`${profile.file} has no rows`);
  const startMs = Math.min(...series.map((s) => s.points[0]?.atMs ?? Infinity));
  const endMs = Math.max(...series.map((s) => s.points[s.points.length - 1]?.atMs ?? -Infinity));
  const hours = Math.round((endMs - startMs) / HOUR_MS) + 1;
  const byTeam = new Map<string, number[]>();
  for (const s of series) {
    const values = new Array<number>(hours).fill(Number.NaN);
    for (const p of demandOf(s)) values[Math.round((p.atMs - startMs) / HOUR_MS)] = p.gpus;
    let last = 0;
    for (let i = 0; i < hours; i++) {
      if (Number.isNaN(values[i]!)) values[i] = last;
      else last = values[i]!;
    }
    byTeam.set(s.key.team === ANY_LABEL ? 'all' : s.key.team, values);
  }
  return { startMs, byTeam };
}

export async function buildScenario(profile: TraceProfile, options: BuildOptions = {}): Promise<Scenario> {
  const catalog = options.catalog ?? loadCatalog();
  const offering = catalog
    .find({ provider: 'aws', region: profile.region })
    .find((o) => o.instanceType === profile.instanceType);
  if (!offering) {
    throw new ScenarioError(
      `the catalog has no ${profile.instanceType} in aws ${profile.region}; run "gpu-optimizer catalog --provider aws" to see what it has`,
    );
  }
  const { startMs: traceStart, byTeam } = await hourlyDemandByTeam(profile);
  const total = [...byTeam.values()][0]!.length;
  const lastHour =
    options.toMs === undefined ? total : Math.min(total, Math.ceil((options.toMs - traceStart) / HOUR_MS));
  const firstHour = Math.max(
    options.fromMs === undefined ? 0 : Math.floor((options.fromMs - traceStart) / HOUR_MS),
    options.lastHours === undefined ? 0 : lastHour - options.lastHours,
    0,
  );
  const hours = lastHour - firstHour;
  if (hours < 48)
    throw new ScenarioError(`the replayed period has ${hours} hours; at least 48 are needed`, '--from/--to');
  const warmupHours = historyHoursOf(hours, options.warmupHours);

  const classes: SimClass[] = [...byTeam.entries()].map(([team, values]) => {
    const workload: WorkloadClass = {
      id: team,
      team,
      minGpuMemoryGiB: 0,
      interconnect: 'pcie',
      allowedGpuModels: [],
      spotShare: profile.spotShare,
      checkpointIntervalMinutes: profile.checkpointIntervalMinutes,
    };
    return { workload, demandGpus: values.slice(firstHour, lastHour) };
  });

  const peakGpus = Math.max(
    ...Array.from({ length: hours }, (_, h) => classes.reduce((a, c) => a + c.demandGpus[h]!, 0)),
  );
  const peakInstances = Math.ceil(peakGpus / offering.gpuCount);
  const spotCapacity = Math.ceil(
    (peakInstances * (options.spotCapacityShareOfPeak ?? 1)) / profile.zones.length,
  );
  const fractions = loadSpotFractions();
  const risk = catalog.spotRiskFor(offering);
  const basePool = catalog.poolFor(offering);
  const ratioPrice =
    options.spotPriceRatio === undefined
      ? undefined
      : BigInt(Math.round(Number(offering.onDemandUsdPerHour) * options.spotPriceRatio));
  const spotPrices =
    ratioPrice !== undefined
      ? profile.zones.map(() => ({
          usdPerHour: new Array<bigint>(hours).fill(ratioPrice),
          modelled: true,
          basis: `modelled: flat at ${options.spotPriceRatio} × on-demand (a sweep point)`,
        }))
      : offering.spotUsdPerHour === undefined
        ? undefined
        : spotPriceSeriesByZone(
            offering.instanceType,
            profile.region,
            profile.zones,
            hours,
            traceStart + firstHour * HOUR_MS,
            offering.spotUsdPerHour,
          );
  const pools: SimPool[] = profile.zones.map((zone, i) => ({
    pool: { ...basePool, id: `aws:${profile.region}:${zone}:${offering.instanceType}`, zone },
    usdPerHour: {
      'on-demand': offering.onDemandUsdPerHour,
      ...(ratioPrice !== undefined || offering.spotUsdPerHour !== undefined
        ? { spot: ratioPrice ?? offering.spotUsdPerHour! }
        : {}),
      ...(offering.reserved1yUsdPerHour !== undefined ? { reserved: offering.reserved1yUsdPerHour } : {}),
    },
    modelled: {
      spot: spotPrices ? spotPrices[i]!.modelled : offering.spotModelled,
      reserved: offering.reserved1yModelled,
    },
    spotAvailable: spotCapacitySeries(fractions, i, hours, spotCapacity),
    ...(spotPrices ? { spotUsdPerHourSeries: spotPrices[i]!.usdPerHour } : {}),
    ...(risk ? { spotInterruptionRatePerHour: risk.interruptionsPerHour } : {}),
  }));

  const startMs = traceStart + firstHour * HOUR_MS;
  return {
    name: profile.name,
    startMs,
    hours,
    warmupHours,
    pools,
    classes,
    defaultBootSeconds: basePool.bootSeconds,
    ...(options.latePenaltyMultiplier !== undefined
      ? { latePenaltyMultiplier: options.latePenaltyMultiplier }
      : {}),
    sharing: profile.sharing,
    assumptions: [
      `trace ${profile.name}: ${toRfc3339(startMs)} to ${toRfc3339(startMs + hours * HOUR_MS)}, ${hours} hours; ` +
        `the first ${warmupHours} are history only (forecasts, commitment lookback), not billed`,
      `GPUs: ${profile.mapping}; ${profile.zones.length} pools (${profile.zones.join(', ')})`,
      `prices: aws ${profile.region} ${offering.instanceType} on-demand ${fmt(offering.onDemandUsdPerHour)}/h, ` +
        `spot ${offering.spotUsdPerHour === undefined ? 'n/a' : fmt(offering.spotUsdPerHour)}/h${offering.spotModelled ? ' (modelled)' : ''}, ` +
        `1-year reserved ${offering.reserved1yUsdPerHour === undefined ? 'n/a' : fmt(offering.reserved1yUsdPerHour)}/h${offering.reserved1yModelled ? ' (modelled)' : ''}, as of ${offering.asOf}`,
      `demand: hourly mean of the trace's GPUs busy${classes.length > 1 ? ' per team' : ''} (+ pending where known); a gap keeps the last level`,
      `spot: ${Math.round(profile.spotShare * 100)} % of demand may run on spot; checkpoints every ${profile.checkpointIntervalMinutes} min ` +
        `(half an interval of work lost per interruption, on average); each pool holds at most ${spotCapacity} spot instances × the ` +
        `hour's available fraction from the bundled Parcae/Bamboo spot-fleet traces (data/spot), tiled`,
      profile.sharing === 'dedicated'
        ? `teams hold dedicated instances (virtual clusters with quotas): one team's idle GPUs do not serve another`
        : `teams share the pools' instances (as on a Kubernetes or Slurm node pool)`,
      `spot prices: ${spotPrices ? [...new Set(spotPrices.map((s) => s.basis))].join('; ') : 'none'}`,
      `late demand is filled by on-demand instances at list price, each paying its boot time, and counted as late GPU-hours; ` +
        `the penalized cost adds ${options.latePenaltyMultiplier ?? 1} × an on-demand GPU-hour of the class's cheapest pool per late GPU-hour`,
    ],
  };
}

function fmt(micros: bigint): string {
  return `$${(Number(micros) / 1e6).toFixed(2)}`;
}
