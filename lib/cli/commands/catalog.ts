// `gpu-optimizer catalog`: the GPU landscape across clouds from the bundled catalog, so a person sees the best value.
import { divRoundHalfEven, formatUsd, type MicroUsd } from '../../domain/money.ts';
import { loadCatalog, type Catalog } from '../../pricing/catalog.ts';
import { CATALOG_PROVIDERS, priceTflops, type Offering } from '../../pricing/offering.ts';
import { EXIT_OK, numberFlag, stringFlag, UsageError, type Command } from '../command.ts';

export const CATALOG_SORTS = ['usd-per-gpu-hour', 'usd-per-tflops', 'memory'] as const;
type CatalogSort = (typeof CATALOG_SORTS)[number];
const DEFAULT_TABLE_LIMIT = 50;

const MODELLED_NOTE =
  "* modelled, not published: AWS spot = on-demand × the same GPU's median spot ratio on GCP and Azure; " +
  "GCP/Azure 1-year = on-demand × the GPU's median AWS 1-year ratio; 3-year = on-demand × (1-year ratio)²; " +
  "spot interruptions per hour from AWS spot traces of the GPU's class. Rules and sources: data/catalog/SOURCE.md";

function compare(sort: CatalogSort): (a: Offering, b: Offering) => number {
  const missingLast = (x: bigint | undefined, y: bigint | undefined) =>
    x === undefined ? (y === undefined ? 0 : 1) : y === undefined ? -1 : x < y ? -1 : x > y ? 1 : 0;
  switch (sort) {
    case 'usd-per-tflops':
      return (a, b) =>
        missingLast(a.usdPerTflopsHour, b.usdPerTflopsHour) || missingLast(a.usdPerGpuHour, b.usdPerGpuHour);
    case 'memory':
      return (a, b) => b.gpuMemoryGiB - a.gpuMemoryGiB || missingLast(a.usdPerGpuHour, b.usdPerGpuHour);
    default:
      return (a, b) => missingLast(a.usdPerGpuHour, b.usdPerGpuHour);
  }
}

/** The cheapest region of each provider × instance type (and how many regions offer it). */
function cheapestRegions(offerings: readonly Offering[]): { offering: Offering; regions: number }[] {
  const groups = new Map<string, { offering: Offering; regions: number }>();
  for (const o of offerings) {
    const key = `${o.provider}|${o.instanceType}`;
    const g = groups.get(key);
    if (!g) groups.set(key, { offering: o, regions: 1 });
    else {
      g.regions += 1;
      if (o.onDemandUsdPerHour < g.offering.onDemandUsdPerHour) g.offering = o;
    }
  }
  return [...groups.values()];
}

/** Dollars with enough places to tell small rates apart: "$6.88", "$0.0070". */
function dollars(micros: MicroUsd | undefined, places = 2): string {
  if (micros === undefined) return '-';
  const unit = 10n ** BigInt(6 - places);
  const scaled = divRoundHalfEven(micros, unit)
    .toString()
    .padStart(places + 1, '0');
  return `$${scaled.slice(0, -places)}.${scaled.slice(-places)}`;
}

function marked(text: string, modelled: boolean): string {
  return modelled ? `${text}*` : text;
}

function renderTable(rows: { offering: Offering; regions?: number }[], catalog: Catalog): string {
  const header = [
    'PROVIDER',
    'REGION',
    'INSTANCE',
    'GPUS',
    'MEM GiB',
    'LINK',
    'TFLOPS',
    'ON-DEMAND/h',
    'SPOT/h',
    '1Y/h',
    '3Y/h',
    '$/GPU-h',
    '$/TFLOPS-h',
    'INTR/h',
  ];
  const lines = rows.map(({ offering: o, regions }) => {
    const risk = catalog.spotRiskFor(o);
    return [
      o.provider,
      regions && regions > 1 ? `${o.region} (+${regions - 1})` : o.region,
      o.instanceType,
      `${o.gpuCount}× ${o.gpuModel}`,
      String(o.gpuMemoryGiB),
      marked(o.interconnect, o.interconnectInferred),
      priceTflops(o)?.toFixed(0) ?? '-',
      dollars(o.onDemandUsdPerHour),
      marked(dollars(o.spotUsdPerHour), o.spotModelled),
      marked(dollars(o.reserved1yUsdPerHour), o.reserved1yModelled),
      marked(dollars(o.reserved3yUsdPerHour), o.reserved3yModelled),
      dollars(o.usdPerGpuHour),
      dollars(o.usdPerTflopsHour, 4),
      risk ? marked(risk.interruptionsPerHour.toFixed(2), risk.interruptionsModelled) : '-',
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const numeric = new Set([3, 4, 6, 7, 8, 9, 10, 11, 12, 13]);
  const format = (cells: string[]) =>
    cells
      .map((c, i) => (numeric.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [format(header), ...lines.map(format)].join('\n');
}

function toJson(o: Offering, catalog: Catalog) {
  const money = (m: MicroUsd | undefined) => (m === undefined ? null : formatUsd(m));
  const risk = catalog.spotRiskFor(o);
  return {
    provider: o.provider,
    region: o.region,
    instanceType: o.instanceType,
    poolId: catalog.poolFor(o).id,
    gpuModel: o.gpuModel,
    gpuCount: o.gpuCount,
    gpuMemoryGiB: o.gpuMemoryGiB,
    interconnect: o.interconnect,
    interconnectInferred: o.interconnectInferred,
    bf16Tflops: o.bf16Tflops ?? null,
    fp16Tflops: o.fp16Tflops ?? null,
    fp32Tflops: o.fp32Tflops ?? null,
    memoryBandwidthGBps: o.memoryBandwidthGBps ?? null,
    onDemandUsdPerHour: money(o.onDemandUsdPerHour),
    spotUsdPerHour: money(o.spotUsdPerHour),
    spotModelled: o.spotModelled,
    reserved1yUsdPerHour: money(o.reserved1yUsdPerHour),
    reserved1yModelled: o.reserved1yModelled,
    reserved3yUsdPerHour: money(o.reserved3yUsdPerHour),
    reserved3yModelled: o.reserved3yModelled,
    usdPerGpuHour: money(o.usdPerGpuHour),
    usdPerTflopsHour: money(o.usdPerTflopsHour),
    spotInterruptionRatePerHour: risk?.interruptionsPerHour ?? null,
    spotInterruptionModelled: risk?.interruptionsModelled ?? null,
    spotPriceCv: risk?.spotPriceCv ?? null,
    asOf: o.asOf,
  };
}

export const catalogCommand: Command = {
  name: 'catalog',
  summary:
    'Show the GPU landscape across clouds: specs, on-demand, spot and committed rates, $/GPU-hour, $/TFLOPS-hour',
  details: [
    'Examples:',
    '  gpu-optimizer catalog --gpu H100',
    '  gpu-optimizer catalog --min-memory 80 --sort usd-per-tflops --limit 10',
    '  gpu-optimizer catalog --provider aws --json',
    '',
    'The table shows the cheapest region of each instance type ("(+N)" more regions offer it); --all-regions',
    'shows every region. TFLOPS: peak dense BF16 (FP16 where a GPU has no BF16) per GPU. INTR/h: expected spot',
    'interruptions per instance-hour. A figure marked * is modelled by a stated rule, not published.',
  ].join('\n'),
  flags: {
    gpu: {
      type: 'string',
      description: 'Only this GPU model (H100, A100-80GB, L4, T4, A10G …)',
      valueName: 'model',
    },
    'min-memory': {
      type: 'string',
      description: 'Only GPUs with at least this much memory each',
      valueName: 'GiB',
    },
    provider: {
      type: 'string',
      description: `Only this cloud (${CATALOG_PROVIDERS.join(', ')})`,
      valueName: 'name',
    },
    region: { type: 'string', description: 'Only this region', valueName: 'name' },
    sort: {
      type: 'string',
      default: 'usd-per-gpu-hour',
      description: `Order by ${CATALOG_SORTS.join(' | ')}`,
      valueName: 'key',
    },
    limit: {
      type: 'string',
      description: `Show at most N rows (table default ${DEFAULT_TABLE_LIMIT})`,
      valueName: 'N',
    },
    'all-regions': {
      type: 'boolean',
      description: 'One row per region instead of the cheapest region per type',
    },
    json: { type: 'boolean', description: 'Print JSON (every matching offering, every region) for machines' },
  },
  async run({ flags }, io) {
    const sort = (stringFlag(flags, 'sort') ?? 'usd-per-gpu-hour') as CatalogSort;
    if (!CATALOG_SORTS.includes(sort)) {
      throw new UsageError(`--sort must be one of ${CATALOG_SORTS.join(', ')}, got ${JSON.stringify(sort)}`);
    }
    const provider = stringFlag(flags, 'provider');
    if (provider !== undefined && !(CATALOG_PROVIDERS as readonly string[]).includes(provider)) {
      throw new UsageError(
        `--provider must be one of ${CATALOG_PROVIDERS.join(', ')}, got ${JSON.stringify(provider)}`,
      );
    }
    const minMemoryGiB = numberFlag(flags, 'min-memory', { min: 0 });
    const limit = numberFlag(flags, 'limit', { min: 1, integer: true });
    const gpu = stringFlag(flags, 'gpu');

    const catalog = loadCatalog();
    for (const r of catalog.report.rejected)
      io.stderr(`catalog: ${r.file} line ${r.line} rejected: ${r.reason}\n`);
    const matching = catalog
      .find({ gpu, provider, region: stringFlag(flags, 'region'), minMemoryGiB })
      .sort(compare(sort));

    if (flags.json) {
      const rows = limit === undefined ? matching : matching.slice(0, limit);
      io.stdout(
        `${JSON.stringify(
          rows.map((o) => toJson(o, catalog)),
          null,
          2,
        )}\n`,
      );
      return EXIT_OK;
    }
    if (matching.length === 0) {
      io.stdout(
        `No offering matches${gpu ? ` GPU ${gpu}` : ''}. Known GPUs: ${[...new Set(catalog.offerings.map((o) => o.gpuModel))].sort().join(', ')}\n`,
      );
      return EXIT_OK;
    }
    const grouped = flags['all-regions']
      ? matching.map((offering) => ({ offering }))
      : cheapestRegions(matching).sort((a, b) => compare(sort)(a.offering, b.offering));
    const shown = grouped.slice(0, limit ?? DEFAULT_TABLE_LIMIT);
    const providers = [...new Set(shown.map((r) => r.offering.provider))].join(', ');
    io.stdout(`${renderTable(shown, catalog)}\n\n`);
    io.stdout(
      `${shown.length} of ${grouped.length} rows (${matching.length} offerings in ${providers}), sorted by ${sort}.\n${MODELLED_NOTE}\n`,
    );
    return EXIT_OK;
  },
};
