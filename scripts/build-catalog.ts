// Builds the bundled catalog (data/catalog/*.csv) from the raw cloud price, price-history, spec and spot-trace datasets.
//
// Usage: npx tsx scripts/build-catalog.ts <raw-data-dir> [--out data/catalog]
// <raw-data-dir> holds cloud-gpu-catalog/, cloud-gpu-price-history/, ml-hardware-specs/ and spot-availability-*/;
// the AWS spot ratios come from the project's own recorded AWS spot prices (data/spot-prices).
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { usdFromNumber } from '../lib/domain/money.ts';
import { parseCsvTable, renderCsvTable, type CsvRecord } from '../lib/pricing/csv-table.ts';
import { GPU_MODELS, resolveGpuModel, type GpuModel, type SpotRiskClass } from '../lib/pricing/gpu-models.ts';
import { inferInterconnect, interconnectFromSource } from '../lib/pricing/interconnect.ts';
import {
  applyModels,
  measureRatios,
  median,
  type AwsSpotSample,
  type Ratio,
} from '../lib/pricing/modelling.ts';
import { loadSpotPriceHistory } from '../lib/sim/spot-prices.ts';
import {
  derivedFigures,
  OFFERING_COLUMNS,
  offeringToRow,
  type CatalogProvider,
  type Offering,
} from '../lib/pricing/offering.ts';
import {
  coefficientOfVariation,
  sampledTracePoints,
  SPOT_RISK_COLUMNS,
  spotRiskToRow,
  stepTraceStats,
  type SpotRisk,
  type TracePoint,
} from '../lib/pricing/spot-risk.ts';

/** Snapshot times of the sources (cloud-gpu-catalog/SOURCE.md). */
const AWS_AS_OF = '2026-01-21T00:00:00Z';
const GCP_AZURE_AS_OF = '2026-05-20T04:50:10Z';

type Rejections = Map<string, number>;
function reject(rejections: Rejections, reason: string): void {
  rejections.set(reason, (rejections.get(reason) ?? 0) + 1);
}

interface Specs {
  bf16Tflops?: number;
  fp16Tflops?: number;
  fp32Tflops?: number;
  memoryBandwidthGBps?: number;
}

function readCsv(path: string): CsvRecord[] {
  const table = parseCsvTable(readFileSync(path, 'utf8'));
  if (table.problems.length > 0) {
    throw new Error(`${path}: ${table.problems.map((p) => `line ${p.line} ${p.reason}`).join('; ')}`);
  }
  return table.records;
}

/** Figures rounded to 3 decimals: the precision the CSV keeps, so the loader recomputes the same $/TFLOPS. */
function round3(n: number | undefined): number | undefined {
  return n === undefined ? undefined : Math.round(n * 1000) / 1000;
}

function specsTable(rawDir: string): Map<string, Specs> {
  const rows = readCsv(join(rawDir, 'ml-hardware-specs', 'epoch_ml_hardware.csv'));
  const byName = new Map(rows.map((r) => [r.cells['Hardware name']!, r.cells]));
  const perTera = (v: string | undefined, divisor: number) =>
    v === undefined || v.trim() === '' ? undefined : round3(Number(v) / 1e12 / divisor);
  const perGiga = (v: string | undefined, divisor: number) =>
    v === undefined || v.trim() === '' ? undefined : round3(Number(v) / 1e9 / divisor);
  const out = new Map<string, Specs>();
  for (const model of GPU_MODELS) {
    if (!model.specName) continue;
    const row = byName.get(model.specName);
    if (!row)
      throw new Error(`spec row ${JSON.stringify(model.specName)} of ${model.name} is not in Epoch's table`);
    const d = model.gpusPerSpecRow ?? 1;
    const tensor = perTera(row['Tensor-FP16/BF16 performance (FLOP/s)'], d);
    const fp16 = perTera(row['FP16 (half precision) performance (FLOP/s)'], d);
    out.set(model.name, {
      // Epoch's tensor column is "FP16/BF16": a GPU without BF16 (T4, V100 and older) reports it as FP16 only.
      bf16Tflops: model.name.match(/^(T4|V100|P100|P4|M60|K80)/) ? undefined : tensor,
      fp16Tflops: tensor ?? fp16,
      fp32Tflops: perTera(row['FP32 (single precision) performance (FLOP/s)'], d),
      memoryBandwidthGBps: perGiga(row['Memory bandwidth (byte/s)'], d),
    });
  }
  return out;
}

function baseOffering(
  provider: CatalogProvider,
  region: string,
  instanceType: string,
  model: GpuModel,
  gpuCount: number,
  onDemand: number,
  specs: Map<string, Specs>,
  asOf: string,
  interconnectText?: string,
): Offering {
  const link = interconnectText
    ? interconnectFromSource(provider, instanceType, gpuCount, interconnectText)
    : inferInterconnect(provider, instanceType, gpuCount);
  const spec = specs.get(model.name) ?? {};
  const partial = {
    provider,
    region,
    instanceType,
    gpuModel: model.name,
    gpuCount,
    gpuMemoryGiB: model.memoryGiB,
    interconnect: link.interconnect,
    interconnectInferred: link.inferred,
    ...spec,
    onDemandUsdPerHour: usdFromNumber(onDemand),
    spotModelled: false,
    reserved1yModelled: false,
    reserved3yModelled: false,
    asOf,
  };
  return { ...partial, ...derivedFigures(partial) };
}

interface VantageInstance {
  name: string;
  gpu: string;
  gpuCount: number;
  gpuMemory: string;
  gpuInterconnect?: string;
  pricing: Record<string, { onDemand?: number; reserved?: number }> | null;
}

function awsOfferings(rawDir: string, specs: Map<string, Specs>, rejections: Rejections): Offering[] {
  const instances = JSON.parse(
    readFileSync(join(rawDir, 'cloud-gpu-catalog', 'aws_gpu_instances_vantage.json'), 'utf8'),
  ) as VantageInstance[];
  const out: Offering[] = [];
  for (const x of instances) {
    const memoryGb = Number(/^(\d+(?:\.\d+)?)\s*GB/.exec(x.gpuMemory)?.[1] ?? Number.NaN);
    const model = resolveGpuModel(
      x.gpu,
      Number.isFinite(memoryGb) ? [memoryGb, memoryGb / Math.max(1, x.gpuCount)] : [],
    );
    const regions = Object.entries(x.pricing ?? {});
    if (!model) {
      reject(rejections, `aws: accelerator "${x.gpu}" not in the GPU model table`);
      continue;
    }
    if (!Number.isInteger(x.gpuCount) || x.gpuCount < 1) {
      reject(rejections, `aws: fractional GPU (${x.name}, ${x.gpuCount} GPU)`);
      continue;
    }
    if (regions.length === 0) reject(rejections, `aws: ${x.name} has no price in any region`);
    for (const [region, price] of regions) {
      if (price.onDemand === undefined || price.onDemand <= 0) {
        reject(rejections, 'aws: region without an on-demand price');
        continue;
      }
      const o = baseOffering(
        'aws',
        region,
        x.name,
        model,
        x.gpuCount,
        price.onDemand,
        specs,
        AWS_AS_OF,
        x.gpuInterconnect,
      );
      if (price.reserved !== undefined && price.reserved > 0)
        o.reserved1yUsdPerHour = usdFromNumber(price.reserved);
      out.push(o);
    }
  }
  return out;
}

/** GCP machine types and the accelerators they carry (the catalog prices host and GPUs on separate rows). */
const GCP_HOSTS: { pattern: RegExp; accelerator: string; count: (m: RegExpExecArray) => number }[] = [
  { pattern: /^a2-highgpu-(\d+)g$/, accelerator: 'A100', count: (m) => Number(m[1]) },
  { pattern: /^a2-megagpu-(\d+)g$/, accelerator: 'A100', count: (m) => Number(m[1]) },
  { pattern: /^a2-ultragpu-(\d+)g$/, accelerator: 'A100-80GB', count: (m) => Number(m[1]) },
  { pattern: /^a3-highgpu-(\d+)g$/, accelerator: 'H100', count: (m) => Number(m[1]) },
  { pattern: /^a3-edgegpu-(\d+)g(-nolssd)?$/, accelerator: 'H100', count: (m) => Number(m[1]) },
  { pattern: /^a3-megagpu-(\d+)g$/, accelerator: 'H100-MEGA', count: (m) => Number(m[1]) },
  { pattern: /^a3-ultragpu-(\d+)g(-nolssd)?$/, accelerator: 'H200', count: (m) => Number(m[1]) },
  { pattern: /^a4-highgpu-(\d+)g$/, accelerator: 'B200', count: (m) => Number(m[1]) },
  {
    pattern: /^g2-standard-(\d+)$/,
    accelerator: 'L4',
    count: (m) => ({ 24: 2, 48: 4, 96: 8 })[Number(m[1])] ?? 1,
  },
];
/** N1 hosts for attachable GPUs: one host size per GPU count (SkyPilot's defaults, 8 vCPUs per GPU). */
const GCP_N1_HOSTS: Record<number, string> = {
  1: 'n1-standard-8',
  2: 'n1-standard-16',
  4: 'n1-standard-32',
  8: 'n1-standard-64',
};
const GCP_N1_GPUS = new Set(['T4', 'V100', 'P100', 'P4']);

interface ZonePrice {
  zone: string;
  onDemand: number;
  spot?: number;
}

function gcpOfferings(rawDir: string, specs: Map<string, Specs>, rejections: Rejections): Offering[] {
  const rows = readCsv(join(rawDir, 'cloud-gpu-catalog', 'gcp_gpu_vms.csv'));
  const num = (v: string | undefined) => (v === undefined || v === '' ? undefined : Number(v));
  // zone → accelerator × count → price; zone → host type → price
  const accel = new Map<string, ZonePrice & { region: string }>();
  const hosts = new Map<string, ZonePrice & { region: string; type: string }>();
  for (const { cells: r } of rows) {
    const onDemand = num(r.Price);
    if (onDemand === undefined) continue;
    const z = { zone: r.AvailabilityZone!, region: r.Region!, onDemand, spot: num(r.SpotPrice) };
    if (r.InstanceType) hosts.set(`${r.AvailabilityZone}|${r.InstanceType}`, { ...z, type: r.InstanceType });
    else if (!r.AcceleratorName!.startsWith('tpu-'))
      accel.set(`${r.AvailabilityZone}|${r.AcceleratorName}|${Number(r.AcceleratorCount)}`, z);
    else reject(rejections, 'gcp: TPU slice (not a GPU)');
  }
  // (region, instance type) → zone totals
  const byRegion = new Map<
    string,
    { region: string; type: string; model: GpuModel; count: number; zones: ZonePrice[] }
  >();
  const add = (region: string, type: string, model: GpuModel, count: number, z: ZonePrice) => {
    const key = `${region}|${type}`;
    const entry = byRegion.get(key) ?? { region, type, model, count, zones: [] };
    entry.zones.push(z);
    byRegion.set(key, entry);
  };
  for (const host of hosts.values()) {
    const rule = GCP_HOSTS.map((h) => ({ h, m: h.pattern.exec(host.type) })).find((x) => x.m);
    if (!rule) continue;
    const count = rule.h.count(rule.m!);
    const gpu = accel.get(`${host.zone}|${rule.h.accelerator}|${count}`);
    const model = resolveGpuModel(rule.h.accelerator)!;
    if (!gpu) {
      reject(rejections, 'gcp: GPU host without its accelerator price in the same zone');
      continue;
    }
    add(host.region, host.type, model, count, {
      zone: host.zone,
      onDemand: host.onDemand + gpu.onDemand,
      spot: host.spot !== undefined && gpu.spot !== undefined ? host.spot + gpu.spot : undefined,
    });
  }
  for (const [key, gpu] of accel) {
    const [zone, name, countText] = key.split('|') as [string, string, string];
    const count = Number(countText);
    if (!GCP_N1_GPUS.has(name)) continue;
    const hostType = GCP_N1_HOSTS[count];
    const host = hostType ? hosts.get(`${zone}|${hostType}`) : undefined;
    if (!host || !hostType) {
      reject(rejections, 'gcp: attachable GPU without an N1 host price in the same zone');
      continue;
    }
    add(gpu.region, `${hostType}+${count}x${name}`, resolveGpuModel(name)!, count, {
      zone,
      onDemand: host.onDemand + gpu.onDemand,
      spot: host.spot !== undefined && gpu.spot !== undefined ? host.spot + gpu.spot : undefined,
    });
  }
  const out: Offering[] = [];
  for (const e of byRegion.values()) {
    // A region-level offering: the cheapest zone's on-demand rate, the median zone's spot rate.
    const onDemand = Math.min(...e.zones.map((z) => z.onDemand));
    const spots = e.zones.flatMap((z) => (z.spot === undefined ? [] : [z.spot]));
    const o = baseOffering('gcp', e.region, e.type, e.model, e.count, onDemand, specs, GCP_AZURE_AS_OF);
    if (spots.length > 0) o.spotUsdPerHour = usdFromNumber(median(spots));
    out.push(o);
  }
  return out;
}

function azureOfferings(rawDir: string, specs: Map<string, Specs>, rejections: Rejections): Offering[] {
  const rows = readCsv(join(rawDir, 'cloud-gpu-catalog', 'azure_gpu_vms.csv'));
  const out: Offering[] = [];
  for (const { cells: r } of rows) {
    const count = Number(r.AcceleratorCount);
    const model = resolveGpuModel(r.AcceleratorName!);
    if (!model) {
      reject(rejections, `azure: accelerator "${r.AcceleratorName}" not in the GPU model table`);
      continue;
    }
    if (!Number.isInteger(count) || count < 1) {
      reject(rejections, 'azure: fractional GPU (a slice of one GPU)');
      continue;
    }
    const onDemand = Number(r.Price);
    if (!(onDemand > 0)) {
      reject(rejections, 'azure: no on-demand price');
      continue;
    }
    const o = baseOffering(
      'azure',
      r.Region!,
      r.InstanceType!,
      model,
      count,
      onDemand,
      specs,
      GCP_AZURE_AS_OF,
    );
    const spot = Number(r.SpotPrice);
    if (r.SpotPrice !== '' && spot > 0) o.spotUsdPerHour = usdFromNumber(spot);
    out.push(o);
  }
  return out;
}

/** Spot price volatility per provider × GPU: median over offerings of the CV of their daily spot prices. */
function spotVolatility(rawDir: string): Map<string, { cv: number; days: number }> {
  const series = new Map<string, { gpu: string; provider: string; prices: number[] }>();
  const dates = new Map<string, Set<string>>();
  const files: [string, string][] = [
    ['gcp', 'gcp_gpu_price_history.csv'],
    ['azure', 'azure_gpu_price_history.csv'],
  ];
  for (const [provider, file] of files) {
    for (const { cells: r } of readCsv(join(rawDir, 'cloud-gpu-price-history', file))) {
      if (!r.AcceleratorName || r.SpotPrice === '' || r.AcceleratorName.startsWith('tpu-')) continue;
      const model = resolveGpuModel(r.AcceleratorName);
      if (!model) continue;
      const key = `${provider}|${r.InstanceType}|${r.AcceleratorName}|${r.AcceleratorCount}|${r.Region}|${r.AvailabilityZone ?? ''}`;
      const s = series.get(key) ?? { gpu: model.name, provider, prices: [] };
      s.prices.push(Number(r.SpotPrice));
      series.set(key, s);
      const d = dates.get(provider) ?? new Set();
      d.add(r.date!);
      dates.set(provider, d);
    }
  }
  const cvs = new Map<string, number[]>();
  for (const s of series.values()) {
    const key = `${s.provider}|${s.gpu}`;
    cvs.set(key, [...(cvs.get(key) ?? []), coefficientOfVariation(s.prices)]);
  }
  return new Map(
    [...cvs].map(
      ([key, v]) => [key, { cv: median(v), days: dates.get(key.split('|')[0]!)?.size ?? 0 }] as const,
    ),
  );
}

interface TraceClassStats {
  interruptions: number;
  instanceHours: number;
  traces: number;
  gpu: string;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

/**
 * Interruptions per instance-hour per spot-risk class from the AWS GPU traces of running instances: p3 (V100,
 * SkyPilot preemption traces and Parcae) → training, g4dn (T4, Bamboo) → inference, p2 (K80, Bamboo) → legacy.
 * CPU traces (r5, c3) are left out.
 */
function traceRates(rawDir: string): Map<SpotRiskClass, TraceClassStats> {
  const stats = new Map<SpotRiskClass, TraceClassStats>();
  const add = (cls: SpotRiskClass, gpu: string, points: TracePoint[]) => {
    const s = stepTraceStats(points);
    const entry = stats.get(cls) ?? { interruptions: 0, instanceHours: 0, traces: 0, gpu };
    entry.interruptions += s.interruptions;
    entry.instanceHours += s.instanceHours;
    entry.traces += 1;
    stats.set(cls, entry);
  };
  const skypilot = join(rawDir, 'spot-availability-skypilot');
  // Preemption traces follow instances that were running; availability traces probe launches, so their
  // flips count lost chances to launch, not lost instances, and are left out of the rate.
  const preempted = listFiles(skypilot).filter((p) => /[/\\]preemption[/\\].*_v100_\d+\.json$/.test(p));
  for (const path of preempted) {
    const trace = JSON.parse(readFileSync(path, 'utf8')) as {
      metadata: { gap_seconds: number };
      data: number[];
    };
    add('training', 'V100', sampledTracePoints(trace.data, trace.metadata.gap_seconds));
  }
  const bamboo = join(rawDir, 'spot-availability-parcae-bamboo');
  for (const path of listFiles(bamboo).filter((p) => p.endsWith('.csv'))) {
    const name = basename(path);
    const lines = readFileSync(path, 'utf8')
      .trim()
      .split(/\r?\n/)
      .map((l) => l.split(',').map(Number));
    // Parcae: ms; Bamboo: seconds, except the multi-day p2 file whose times are hours (its SOURCE.md).
    const toHours = name.startsWith('parcae_')
      ? 1 / 3_600_000
      : name.includes('2020-11-20-to-2020-11-23')
        ? 1
        : 1 / 3600;
    const points = lines
      .filter((c) => c.length === 2 && c.every(Number.isFinite))
      .map(([t, n]) => ({ hours: t! * toHours, instances: n! }));
    if (name.startsWith('parcae_') || name.includes('-p3-')) add('training', 'V100', points);
    else if (name.includes('g4dn')) add('inference', 'T4', points);
    else if (name.includes('p2-')) add('legacy', 'K80', points);
  }
  return stats;
}

function spotRisks(
  offerings: readonly Offering[],
  rates: Map<SpotRiskClass, TraceClassStats>,
  volatility: Map<string, { cv: number; days: number }>,
): SpotRisk[] {
  const seen = new Set<string>();
  const out: SpotRisk[] = [];
  for (const o of offerings) {
    const key = `${o.provider}|${o.gpuModel}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const model = GPU_MODELS.find((m) => m.name === o.gpuModel)!;
    const r = rates.get(model.spotRiskClass);
    if (!r) throw new Error(`no spot trace for class ${model.spotRiskClass}`);
    const v = volatility.get(key);
    out.push({
      provider: o.provider,
      gpuModel: o.gpuModel,
      spotRiskClass: model.spotRiskClass,
      interruptionsPerHour: Math.min(1, r.interruptions / r.instanceHours),
      interruptionsModelled: !(o.provider === 'aws' && o.gpuModel === r.gpu),
      traceBasis: `AWS ${r.gpu} spot traces: ${r.traces} traces, ${r.interruptions} interruptions in ${Math.round(r.instanceHours)} instance-hours`,
      spotPriceCv: v?.cv,
      spotPriceDays: v?.days,
    });
  }
  return out.sort((a, b) => a.provider.localeCompare(b.provider) || a.gpuModel.localeCompare(b.gpuModel));
}

/**
 * Every recorded hour of the bundled AWS spot series (data/spot-prices and its research companion) as spot /
 * on-demand of the same instance type and region, with the GPU model of that type.
 */
function awsSpotSamples(published: readonly Offering[]): AwsSpotSample[] {
  const samples: AwsSpotSample[] = [];
  for (const [key, zones] of loadSpotPriceHistory().byTypeRegion) {
    const [instanceType, region] = key.split('|') as [string, string];
    const o = published.find(
      (x) => x.provider === 'aws' && x.instanceType === instanceType && x.region === region,
    );
    if (!o) throw new Error(`recorded AWS spot prices for ${key}, which the AWS price list does not sell`);
    const onDemand = Number(o.onDemandUsdPerHour);
    for (const z of zones)
      for (const price of z.usdPerHour)
        samples.push({ gpuModel: o.gpuModel, spotToOnDemand: Number(price) / onDemand });
  }
  return samples;
}

function ratioRows(kind: string, table: Map<string, Ratio>, all: Ratio) {
  return [...table.values(), all].map((r) => ({
    rate: kind,
    gpu_model: r.basis,
    ratio_to_on_demand: r.ratio.toFixed(4),
    offerings: String(r.offerings),
  }));
}

function main(): void {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { out: { type: 'string', default: 'data/catalog' } },
  });
  const rawDir = positionals[0];
  if (!rawDir) {
    console.error('usage: npx tsx scripts/build-catalog.ts <raw-data-dir> [--out data/catalog]');
    process.exit(2);
  }
  const outDir = resolve(values.out);
  const rejections: Rejections = new Map();
  const specs = specsTable(rawDir);
  const published = [
    ...awsOfferings(rawDir, specs, rejections),
    ...gcpOfferings(rawDir, specs, rejections),
    ...azureOfferings(rawDir, specs, rejections),
  ];
  const ratios = measureRatios(published, awsSpotSamples(published));
  const offerings = published
    .map((o) => applyModels(o, ratios))
    .sort(
      (a, b) =>
        a.provider.localeCompare(b.provider) ||
        a.gpuModel.localeCompare(b.gpuModel) ||
        a.instanceType.localeCompare(b.instanceType) ||
        a.region.localeCompare(b.region),
    );
  const risks = spotRisks(offerings, traceRates(rawDir), spotVolatility(rawDir));

  mkdirSync(outDir, { recursive: true });
  writeFileSync(
    join(outDir, 'offerings.csv'),
    renderCsvTable(OFFERING_COLUMNS, offerings.map(offeringToRow)),
  );
  writeFileSync(join(outDir, 'spot-risk.csv'), renderCsvTable(SPOT_RISK_COLUMNS, risks.map(spotRiskToRow)));
  writeFileSync(
    join(outDir, 'model-ratios.csv'),
    renderCsvTable(['rate', 'gpu_model', 'ratio_to_on_demand', 'offerings'] as const, [
      ...ratioRows('spot', ratios.spot, ratios.spotAll),
      ...ratioRows('aws-spot', ratios.awsSpot, ratios.awsSpotAll),
      ...ratioRows('reserved-1y', ratios.reserved1y, ratios.reserved1yAll),
    ]),
  );

  const count = (p: (o: Offering) => boolean) => offerings.filter(p).length;
  console.log(
    `wrote ${offerings.length} offerings, ${risks.length} spot-risk rows to ${relative(process.cwd(), outDir) || '.'}`,
  );
  for (const provider of ['aws', 'gcp', 'azure'] as const) {
    console.log(
      `  ${provider}: ${count((o) => o.provider === provider)} offerings; modelled spot ${count((o) => o.provider === provider && o.spotModelled)}, 1-year ${count((o) => o.provider === provider && o.reserved1yModelled)}, 3-year ${count((o) => o.provider === provider && o.reserved3yModelled)}`,
    );
  }
  console.log(
    `  spot ≥ on-demand as published: ${count((o) => !o.spotModelled && o.spotUsdPerHour! >= o.onDemandUsdPerHour)}`,
  );
  console.log('left out:');
  for (const [reason, n] of [...rejections].sort()) console.log(`  ${n} × ${reason}`);
}

main();
