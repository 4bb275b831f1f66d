// Hourly spot prices per simulated pool: real AWS series where recorded (data/spot-prices), a stated model elsewhere.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { HOUR_MS, parseRfc3339 } from '../domain/time.ts';
import { parseUsdRounded, type MicroUsd } from '../domain/money.ts';
import { describeZodError } from '../domain/validation.ts';
import { parseCsvTable } from '../pricing/csv-table.ts';

/** A spot market of one instance type in one availability zone. */
export interface SpotPricePool {
  instanceType: string;
  region: string;
  zone: string;
}

export interface SpotPriceFile {
  path: string;
  /** Research-only licence: used only for the instance types no redistributable file has. */
  research: boolean;
  source: string;
}

const dataFile = (path: string) => fileURLToPath(new URL(`../../data/${path}`, import.meta.url));

/** In order of preference: a (type, region) is taken from the first file that records it, never stitched. */
export const SPOT_PRICE_FILES: readonly SpotPriceFile[] = [
  {
    path: dataFile('spot-prices/aws-spot-2019-12-to-2020-03.csv.gz'),
    research: false,
    source: 'AWS spot price history 2019-12-20 → 2020-03-23 (training_on_a_dime, MIT)',
  },
  {
    path: dataFile('research/aws-spot-prices-2021/aws-spot-2021-03-to-2021-05.csv.gz'),
    research: true,
    source: 'AWS spot price history 2021-03-02 → 2021-05-31 (amazon-spot-dataset, research-only)',
  },
];

/** Whole weeks: tiling by a multiple of 168 hours keeps every hour on the same hour of the week. */
export const HOURS_PER_WEEK = 168;

/** One zone's recorded prices on an hourly grid: the price in effect at the start of each hour. */
export interface RecordedSpotSeries extends SpotPricePool {
  /** Epoch ms of the grid's first hour. */
  startMs: number;
  /** Micro-dollars per instance-hour; the length is a whole number of weeks. */
  usdPerHour: readonly MicroUsd[];
  source: string;
  research: boolean;
}

export interface SpotPriceHistory {
  /** Keyed by `instanceType|region`: the zones of the first file that records that type there. */
  byTypeRegion: ReadonlyMap<string, readonly RecordedSpotSeries[]>;
}

/** The spot price of one pool over a scenario, and whether it is recorded or modelled. */
export interface SpotPriceSeries {
  /** Micro-dollars per instance-hour in each hour of the scenario (index = hour from its start). */
  usdPerHour: readonly MicroUsd[];
  /** True when no recorded series exists for the pool and the price is the catalog's modelled spot rate. */
  modelled: boolean;
  /** Where the prices come from, in words (printed with a run's assumptions; the same for every zone of a type). */
  basis: string;
  /** The recorded zone whose prices the pool follows (absent when modelled). */
  recordedZone?: string;
}

const zRow = z.object({
  timestamp: z.string().transform((text, ctx) => {
    try {
      return parseRfc3339(text);
    } catch {
      ctx.addIssue({ code: 'custom', message: `expected an RFC 3339 time, got ${JSON.stringify(text)}` });
      return z.NEVER;
    }
  }),
  region: z.string().min(1),
  availability_zone: z.string().min(1),
  instance_type: z.string().min(1),
  spot_usd_per_hour: z.string().regex(/^\d+(\.\d+)?$/, 'expected a price in USD like 7.344'),
});

interface Change {
  atMs: number;
  usdPerHour: MicroUsd;
}

function readChanges(file: SpotPriceFile): Map<string, { pool: SpotPricePool; changes: Change[] }> {
  const text = gunzipSync(readFileSync(file.path)).toString('utf8');
  const table = parseCsvTable(text);
  const problem = table.problems[0];
  if (problem) throw new Error(`${file.path} line ${problem.line}: ${problem.reason}`);
  const byPool = new Map<string, { pool: SpotPricePool; changes: Change[] }>();
  for (const { line, cells } of table.records) {
    const parsed = zRow.safeParse(cells);
    if (!parsed.success) throw new Error(`${file.path} line ${line}: ${describeZodError(parsed.error)}`);
    const r = parsed.data;
    const key = `${r.instance_type}|${r.region}|${r.availability_zone}`;
    let entry = byPool.get(key);
    if (!entry) {
      entry = {
        pool: { instanceType: r.instance_type, region: r.region, zone: r.availability_zone },
        changes: [],
      };
      byPool.set(key, entry);
    }
    entry.changes.push({ atMs: r.timestamp, usdPerHour: parseUsdRounded(r.spot_usd_per_hour) });
  }
  return byPool;
}

/**
 * The hourly grid of one zone: from the first whole hour at or after its first recorded change to the region's
 * coverage end (its latest row in the file), each hour taking the price in effect at its start; cut to whole weeks.
 */
export function hourlyGrid(
  changes: readonly Change[],
  coverageEndMs: number,
): { startMs: number; usdPerHour: MicroUsd[] } {
  const sorted = [...changes].sort((a, b) => a.atMs - b.atMs);
  const startMs = Math.ceil(sorted[0]!.atMs / HOUR_MS) * HOUR_MS;
  const hours = Math.floor((coverageEndMs - startMs) / HOUR_MS) + 1;
  const weeks = Math.floor(Math.max(0, hours) / HOURS_PER_WEEK);
  const usdPerHour: MicroUsd[] = [];
  let next = 0;
  let price = sorted[0]!.usdPerHour;
  for (let h = 0; h < weeks * HOURS_PER_WEEK; h++) {
    const atMs = startMs + h * HOUR_MS;
    while (next < sorted.length && sorted[next]!.atMs <= atMs) price = sorted[next++]!.usdPerHour;
    usdPerHour.push(price);
  }
  return { startMs, usdPerHour };
}

/** Reads the recorded spot price files into hourly series per (type, region, zone). */
export function loadSpotPriceHistory(files: readonly SpotPriceFile[] = SPOT_PRICE_FILES): SpotPriceHistory {
  const byTypeRegion = new Map<string, RecordedSpotSeries[]>();
  for (const file of files) {
    const pools = readChanges(file);
    const coverageEnd = new Map<string, number>();
    for (const { pool, changes } of pools.values())
      for (const c of changes)
        coverageEnd.set(pool.region, Math.max(coverageEnd.get(pool.region) ?? -Infinity, c.atMs));
    const fromThisFile = new Map<string, RecordedSpotSeries[]>();
    for (const { pool, changes } of pools.values()) {
      const key = `${pool.instanceType}|${pool.region}`;
      if (byTypeRegion.has(key)) continue;
      const grid = hourlyGrid(changes, coverageEnd.get(pool.region)!);
      if (grid.usdPerHour.length === 0) continue;
      const list = fromThisFile.get(key) ?? [];
      list.push({ ...pool, ...grid, source: file.source, research: file.research });
      fromThisFile.set(key, list);
    }
    for (const [key, list] of fromThisFile)
      byTypeRegion.set(
        key,
        list.sort((a, b) => a.zone.localeCompare(b.zone)),
      );
  }
  return { byTypeRegion };
}

let bundled: SpotPriceHistory | undefined;
/** The bundled history, read once per process. */
export function bundledSpotPriceHistory(): SpotPriceHistory {
  bundled ??= loadSpotPriceHistory();
  return bundled;
}

/**
 * Which recorded zone each requested zone follows: its namesake if recorded; otherwise the recorded zones no
 * requested zone is named after, in name order (then all recorded zones again, if the requested ones outnumber them).
 */
export function matchZones(requested: readonly string[], recorded: readonly string[]): string[] {
  const named = new Set(requested.filter((z) => recorded.includes(z)));
  const spare = [...recorded].sort().filter((z) => !named.has(z));
  const pool = spare.length > 0 ? spare : [...recorded].sort();
  let next = 0;
  return requested.map((z) => (named.has(z) ? z : pool[next++ % pool.length]!));
}

const mod = (a: number, n: number) => ((a % n) + n) % n;

/**
 * Spot prices of the pools of one instance type in `zones`, for `hours` hours from `startMs`. A recorded series is
 * tiled in whole weeks: scenario hour h takes the recorded hour that lies a whole number of series lengths away,
 * so it is the same hour of the week (UTC). Without a recording, every hour is `modelledUsdPerHour` (the
 * catalog's modelled spot rate) and the series says so.
 */
export function spotPriceSeriesByZone(
  instanceType: string,
  region: string,
  zones: readonly string[],
  hours: number,
  startMs: number,
  modelledUsdPerHour: MicroUsd,
  history: SpotPriceHistory = bundledSpotPriceHistory(),
): SpotPriceSeries[] {
  const recorded = history.byTypeRegion.get(`${instanceType}|${region}`);
  if (!recorded || recorded.length === 0) {
    return zones.map(() => ({
      usdPerHour: new Array<MicroUsd>(hours).fill(modelledUsdPerHour),
      modelled: true,
      basis: `modelled: no recorded AWS spot prices for ${instanceType} in ${region}; the catalog's modelled spot rate, flat`,
    }));
  }
  const firstHourMs = Math.floor(startMs / HOUR_MS) * HOUR_MS;
  const matched = matchZones(
    zones,
    recorded.map((s) => s.zone),
  );
  return matched.map((zone) => {
    const s = recorded.find((r) => r.zone === zone)!;
    const length = s.usdPerHour.length;
    const offset = (firstHourMs - s.startMs) / HOUR_MS;
    return {
      usdPerHour: Array.from({ length: hours }, (_, h) => s.usdPerHour[mod(offset + h, length)]!),
      modelled: false,
      basis: `recorded ${instanceType} prices per zone, ${s.source}, tiled in whole weeks by hour of the week`,
      recordedZone: zone,
    };
  });
}

/** The spot price series of one pool (see spotPriceSeriesByZone). */
export function spotPriceSeries(
  pool: SpotPricePool,
  hours: number,
  startMs: number,
  modelledUsdPerHour: MicroUsd,
  history?: SpotPriceHistory,
): SpotPriceSeries {
  return spotPriceSeriesByZone(
    pool.instanceType,
    pool.region,
    [pool.zone],
    hours,
    startMs,
    modelledUsdPerHour,
    history,
  )[0]!;
}

/** What a planner deciding hour `hour` may know: the prices of hours 0 to `hour` (the current price is posted). */
export function spotPricesKnownAt(usdPerHour: readonly MicroUsd[], hour: number): readonly MicroUsd[] {
  return usdPerHour.slice(0, Math.max(0, Math.min(hour + 1, usdPerHour.length)));
}
