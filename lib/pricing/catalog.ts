// The bundled cross-cloud GPU catalog: loads data/catalog, validates every row, and maps offerings to pools and quotes.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describeZodError } from '../domain/validation.ts';
import { poolId, type Pool } from '../domain/pool.ts';
import { filterQuotes, type PriceQuote } from '../domain/price.ts';
import type { PriceQuery, PriceSource } from '../domain/ports.ts';
import { toRfc3339 } from '../domain/time.ts';
import { parseCsvTable } from './csv-table.ts';
import { zOfferingRow, type Offering } from './offering.ts';
import { zSpotRiskRow, type SpotRisk } from './spot-risk.ts';

/** Catalog offerings are priced per region, not per zone: their pools carry this zone. */
export const REGION_WIDE_ZONE = 'any';

const DEFAULT_DIR = new URL('../../data/catalog/', import.meta.url);

export interface RejectedRow {
  file: string;
  /** 1-based line of the CSV file (the header is line 1). */
  line: number;
  reason: string;
}

export interface CatalogLoadReport {
  /** Data rows read, loaded and rejected, per file. */
  files: { file: string; rows: number; loaded: number }[];
  rejected: RejectedRow[];
}

export interface CatalogFilter {
  gpu?: string;
  provider?: string;
  region?: string;
  /** Per-GPU memory at least this many GiB. */
  minMemoryGiB?: number;
}

export interface Catalog {
  readonly offerings: readonly Offering[];
  readonly spotRisks: readonly SpotRisk[];
  readonly report: CatalogLoadReport;
  /** One pool per offering (provider × region × instance type, zone REGION_WIDE_ZONE). */
  pools(): Pool[];
  /** Every offering's quotes: on-demand, spot, 1- and 3-year reserved; `asOf` defaults to the source's date. */
  quotes(asOf?: number | string): PriceQuote[];
  find(filter: CatalogFilter): Offering[];
  poolFor(offering: Offering): Pool;
  spotRiskFor(offering: Pick<Offering, 'provider' | 'gpuModel'>): SpotRisk | undefined;
}

/** The error thrown when a catalog has rows it cannot load and the caller asked for a strict load. */
export class CatalogError extends Error {
  constructor(readonly rejected: RejectedRow[]) {
    super(
      `catalog rows rejected: ${rejected
        .slice(0, 5)
        .map((r) => `${r.file} line ${r.line}: ${r.reason}`)
        .join('; ')}${rejected.length > 5 ? `; … and ${rejected.length - 5} more` : ''}`,
    );
    this.name = 'CatalogError';
  }
}

function parseRows<T>(
  file: string,
  text: string,
  schema: {
    safeParse(input: unknown): { success: true; data: T } | { success: false; error: import('zod').ZodError };
  },
  report: CatalogLoadReport,
): T[] {
  const table = parseCsvTable(text);
  const out: T[] = [];
  const rejected: RejectedRow[] = table.problems.map((p) => ({ file, line: p.line, reason: p.reason }));
  for (const record of table.records) {
    const parsed = schema.safeParse(record.cells);
    if (parsed.success) out.push(parsed.data);
    else rejected.push({ file, line: record.line, reason: describeZodError(parsed.error) });
  }
  report.files.push({ file, rows: table.records.length + table.problems.length, loaded: out.length });
  report.rejected.push(...rejected.sort((a, b) => a.line - b.line));
  return out;
}

function riskKey(provider: string, gpuModel: string): string {
  return `${provider}|${gpuModel}`;
}

/** Builds a catalog from the text of offerings.csv and spot-risk.csv; bad rows are reported, never thrown. */
export function parseCatalog(offeringsCsv: string, spotRiskCsv: string): Catalog {
  const report: CatalogLoadReport = { files: [], rejected: [] };
  const offerings = parseRows('offerings.csv', offeringsCsv, zOfferingRow, report);
  const spotRisks = parseRows('spot-risk.csv', spotRiskCsv, zSpotRiskRow, report);
  const risks = new Map(spotRisks.map((r) => [riskKey(r.provider, r.gpuModel), r]));

  const poolFor = (o: Offering): Pool => ({
    id: poolId(o.provider, o.region, REGION_WIDE_ZONE, o.instanceType),
    provider: o.provider,
    region: o.region,
    zone: REGION_WIDE_ZONE,
    instanceType: o.instanceType,
    gpuModel: o.gpuModel,
    gpusPerInstance: o.gpuCount,
    gpuMemoryGiB: o.gpuMemoryGiB,
    interconnect: o.interconnect,
    bootSeconds: 300,
  });
  const spotRiskFor = (o: Pick<Offering, 'provider' | 'gpuModel'>) =>
    risks.get(riskKey(o.provider, o.gpuModel));

  return {
    offerings,
    spotRisks,
    report,
    poolFor,
    spotRiskFor,
    pools: () => offerings.map(poolFor),
    quotes(asOf) {
      const stamp = asOf === undefined ? undefined : typeof asOf === 'number' ? toRfc3339(asOf) : asOf;
      return offerings.flatMap((o) => offeringQuotes(o, poolFor(o).id, stamp ?? o.asOf, spotRiskFor(o)));
    },
    find(filter) {
      const gpu = filter.gpu?.toLowerCase();
      return offerings.filter(
        (o) =>
          (gpu === undefined || o.gpuModel.toLowerCase() === gpu) &&
          (filter.provider === undefined || o.provider === filter.provider) &&
          (filter.region === undefined || o.region === filter.region) &&
          (filter.minMemoryGiB === undefined || o.gpuMemoryGiB >= filter.minMemoryGiB),
      );
    },
  };
}

/** The quotes of one offering: each figure once, modelled where the catalog modelled it. */
export function offeringQuotes(
  o: Offering,
  id: string,
  asOf: string,
  risk: SpotRisk | undefined,
): PriceQuote[] {
  const base = { poolId: id, asOf, source: 'catalog' as const };
  const quotes: PriceQuote[] = [
    { ...base, option: 'on-demand', usdPerHour: o.onDemandUsdPerHour, modelled: false },
  ];
  if (o.spotUsdPerHour !== undefined) {
    quotes.push({
      ...base,
      option: 'spot',
      usdPerHour: o.spotUsdPerHour,
      modelled: o.spotModelled,
      ...(risk ? { spotInterruptionRatePerHour: risk.interruptionsPerHour } : {}),
    });
  }
  if (o.reserved1yUsdPerHour !== undefined) {
    quotes.push({
      ...base,
      option: 'reserved',
      usdPerHour: o.reserved1yUsdPerHour,
      modelled: o.reserved1yModelled,
      termYears: 1,
    });
  }
  if (o.reserved3yUsdPerHour !== undefined) {
    quotes.push({
      ...base,
      option: 'reserved',
      usdPerHour: o.reserved3yUsdPerHour,
      modelled: o.reserved3yModelled,
      termYears: 3,
    });
  }
  return quotes;
}

export interface LoadCatalogOptions {
  /** Folder holding offerings.csv and spot-risk.csv; the bundled data/catalog by default. */
  dir?: string | URL;
  /** Throw a CatalogError when any row is rejected (the bundled catalog must load whole). */
  strict?: boolean;
}

let bundled: Catalog | undefined;

/** Loads a catalog from disk; the bundled one is read once per process. */
export function loadCatalog(options: LoadCatalogOptions = {}): Catalog {
  if (options.dir === undefined && bundled && !options.strict) return bundled;
  const dir = options.dir ?? DEFAULT_DIR;
  const read = (file: string) => readFileSync(new URL(file, toDirUrl(dir)), 'utf8');
  const catalog = parseCatalog(read('offerings.csv'), read('spot-risk.csv'));
  if (options.strict && catalog.report.rejected.length > 0) throw new CatalogError(catalog.report.rejected);
  if (options.dir === undefined) bundled = catalog;
  return catalog;
}

function toDirUrl(dir: string | URL): URL {
  if (dir instanceof URL) return dir.href.endsWith('/') ? dir : new URL(`${dir.href}/`);
  return pathToFileURL(`${resolve(dir)}/`);
}

export interface CatalogPriceSourceOptions {
  catalog?: Catalog;
  /** The as-of time given to every quote (the simulator's clock); the catalog's own dates by default. */
  asOf?: () => number;
}

/** The catalog as a PriceSource: list prices of every cloud offering. */
export function createCatalogPriceSource(options: CatalogPriceSourceOptions = {}): PriceSource {
  const catalog = options.catalog ?? loadCatalog();
  return {
    async quotes(query?: PriceQuery) {
      return filterQuotes(catalog.quotes(options.asOf?.()), query);
    },
  };
}
