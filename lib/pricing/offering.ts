// One catalog offering (an instance type in a region with its GPUs, specs and rates), its CSV row and its derived figures.
import { z } from 'zod';
import { zUsd } from '../domain/fields.ts';
import { divRoundHalfEven, formatUsd, parseUsd, type MicroUsd } from '../domain/money.ts';
import { zInterconnect, type Interconnect } from '../domain/pool.ts';
import { zTimestamp } from '../domain/fields.ts';

export const CATALOG_PROVIDERS = ['aws', 'gcp', 'azure'] as const;
export type CatalogProvider = (typeof CATALOG_PROVIDERS)[number];

export interface Offering {
  provider: CatalogProvider;
  region: string;
  instanceType: string;
  /** Normalised (lib/pricing/gpu-models.ts). */
  gpuModel: string;
  gpuCount: number;
  /** Memory of one GPU. */
  gpuMemoryGiB: number;
  interconnect: Interconnect;
  /** True when the interconnect comes from the family rule, not from the source. */
  interconnectInferred: boolean;
  /** Peak dense figures of one GPU (Epoch AI); undefined where the spec sheet has none. */
  bf16Tflops?: number;
  fp16Tflops?: number;
  fp32Tflops?: number;
  memoryBandwidthGBps?: number;
  onDemandUsdPerHour: MicroUsd;
  spotUsdPerHour?: MicroUsd;
  spotModelled: boolean;
  reserved1yUsdPerHour?: MicroUsd;
  reserved1yModelled: boolean;
  reserved3yUsdPerHour?: MicroUsd;
  reserved3yModelled: boolean;
  /** On-demand rate per GPU. */
  usdPerGpuHour: MicroUsd;
  /** On-demand rate per peak tensor TFLOPS (BF16, else FP16); undefined without specs. */
  usdPerTflopsHour?: MicroUsd;
  /** When the source published these prices. */
  asOf: string;
}

/** The column order of data/catalog/offerings.csv. */
export const OFFERING_COLUMNS = [
  'provider',
  'region',
  'instance_type',
  'gpu_model',
  'gpu_count',
  'gpu_memory_gib',
  'interconnect',
  'interconnect_inferred',
  'bf16_tflops',
  'fp16_tflops',
  'fp32_tflops',
  'memory_bandwidth_gbps',
  'on_demand_usd_per_hour',
  'spot_usd_per_hour',
  'spot_modelled',
  'reserved_1y_usd_per_hour',
  'reserved_1y_modelled',
  'reserved_3y_usd_per_hour',
  'reserved_3y_modelled',
  'usd_per_gpu_hour',
  'usd_per_tflops_hour',
  'as_of',
] as const;
export type OfferingRow = Record<(typeof OFFERING_COLUMNS)[number], string>;

/** The TFLOPS a price is divided by: tensor BF16 where the GPU has it, else FP16. */
export function priceTflops(o: Pick<Offering, 'bf16Tflops' | 'fp16Tflops'>): number | undefined {
  return o.bf16Tflops ?? o.fp16Tflops;
}

/** $/GPU-hour and $/TFLOPS-hour from the on-demand rate: computed here only, by the build and the loader. */
export function derivedFigures(
  o: Pick<Offering, 'onDemandUsdPerHour' | 'gpuCount' | 'bf16Tflops' | 'fp16Tflops'>,
): { usdPerGpuHour: MicroUsd; usdPerTflopsHour?: MicroUsd } {
  const usdPerGpuHour = divRoundHalfEven(o.onDemandUsdPerHour, BigInt(o.gpuCount));
  const tflops = priceTflops(o);
  if (tflops === undefined || tflops <= 0) return { usdPerGpuHour };
  // Milli-TFLOPS keep three decimals of the spec exact in integer arithmetic.
  const milliTflops = BigInt(Math.round(o.gpuCount * tflops * 1000));
  return { usdPerGpuHour, usdPerTflopsHour: divRoundHalfEven(o.onDemandUsdPerHour * 1000n, milliTflops) };
}

const zFlag = z.enum(['true', 'false']).transform((v) => v === 'true');
const zOptionalNumber = z.string().transform((v, ctx) => {
  if (v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) {
    ctx.addIssue({
      code: 'custom',
      message: `expected a positive number or nothing, got ${JSON.stringify(v)}`,
    });
    return z.NEVER;
  }
  return n;
});
const zMoney = zUsd.regex(/^\d/, 'must not be negative').transform(parseUsd);
const zOptionalMoney = z.union([z.literal('').transform(() => undefined), zMoney]);

/** Validates one CSV row (all strings) into an Offering; derived figures must match their computation. */
export const zOfferingRow = z
  .object({
    provider: z.enum(CATALOG_PROVIDERS),
    region: z.string().min(1),
    instance_type: z.string().min(1),
    gpu_model: z.string().min(1),
    gpu_count: z
      .string()
      .regex(/^\d+$/, 'expected a whole number of GPUs')
      .transform(Number)
      .pipe(z.number().int().min(1).max(64)),
    gpu_memory_gib: z.string().transform(Number).pipe(z.number().positive()),
    interconnect: zInterconnect,
    interconnect_inferred: zFlag,
    bf16_tflops: zOptionalNumber,
    fp16_tflops: zOptionalNumber,
    fp32_tflops: zOptionalNumber,
    memory_bandwidth_gbps: zOptionalNumber,
    on_demand_usd_per_hour: zMoney.refine((v) => v > 0n, 'must be more than zero'),
    spot_usd_per_hour: zOptionalMoney,
    spot_modelled: zFlag,
    reserved_1y_usd_per_hour: zOptionalMoney,
    reserved_1y_modelled: zFlag,
    reserved_3y_usd_per_hour: zOptionalMoney,
    reserved_3y_modelled: zFlag,
    usd_per_gpu_hour: zMoney,
    usd_per_tflops_hour: zOptionalMoney,
    as_of: zTimestamp,
  })
  .transform((r): Offering => ({
    provider: r.provider,
    region: r.region,
    instanceType: r.instance_type,
    gpuModel: r.gpu_model,
    gpuCount: r.gpu_count,
    gpuMemoryGiB: r.gpu_memory_gib,
    interconnect: r.interconnect,
    interconnectInferred: r.interconnect_inferred,
    bf16Tflops: r.bf16_tflops,
    fp16Tflops: r.fp16_tflops,
    fp32Tflops: r.fp32_tflops,
    memoryBandwidthGBps: r.memory_bandwidth_gbps,
    onDemandUsdPerHour: r.on_demand_usd_per_hour,
    spotUsdPerHour: r.spot_usd_per_hour,
    spotModelled: r.spot_modelled,
    reserved1yUsdPerHour: r.reserved_1y_usd_per_hour,
    reserved1yModelled: r.reserved_1y_modelled,
    reserved3yUsdPerHour: r.reserved_3y_usd_per_hour,
    reserved3yModelled: r.reserved_3y_modelled,
    usdPerGpuHour: r.usd_per_gpu_hour,
    usdPerTflopsHour: r.usd_per_tflops_hour,
    asOf: r.as_of,
  }))
  .superRefine((o, ctx) => {
    const want = derivedFigures(o);
    if (want.usdPerGpuHour !== o.usdPerGpuHour) {
      ctx.addIssue({
        code: 'custom',
        path: ['usd_per_gpu_hour'],
        message: `is ${formatUsd(o.usdPerGpuHour)} but on-demand / gpu_count is ${formatUsd(want.usdPerGpuHour)}`,
      });
    }
    if (want.usdPerTflopsHour !== o.usdPerTflopsHour) {
      ctx.addIssue({
        code: 'custom',
        path: ['usd_per_tflops_hour'],
        message: `is ${o.usdPerTflopsHour === undefined ? 'empty' : formatUsd(o.usdPerTflopsHour)} but the rule gives ${want.usdPerTflopsHour === undefined ? 'empty' : formatUsd(want.usdPerTflopsHour)}`,
      });
    }
    for (const [rate, flag, column] of [
      [o.spotUsdPerHour, o.spotModelled, 'spot_modelled'],
      [o.reserved1yUsdPerHour, o.reserved1yModelled, 'reserved_1y_modelled'],
      [o.reserved3yUsdPerHour, o.reserved3yModelled, 'reserved_3y_modelled'],
    ] as const) {
      if (rate === undefined && flag) {
        ctx.addIssue({ code: 'custom', path: [column], message: 'is true but there is no rate to model' });
      }
    }
  });

function num(n: number | undefined): string {
  return n === undefined ? '' : String(Math.round(n * 1000) / 1000);
}
function money(m: MicroUsd | undefined): string {
  return m === undefined ? '' : formatUsd(m);
}

/** The CSV row of an offering: the inverse of zOfferingRow. */
export function offeringToRow(o: Offering): OfferingRow {
  return {
    provider: o.provider,
    region: o.region,
    instance_type: o.instanceType,
    gpu_model: o.gpuModel,
    gpu_count: String(o.gpuCount),
    gpu_memory_gib: num(o.gpuMemoryGiB),
    interconnect: o.interconnect,
    interconnect_inferred: String(o.interconnectInferred),
    bf16_tflops: num(o.bf16Tflops),
    fp16_tflops: num(o.fp16Tflops),
    fp32_tflops: num(o.fp32Tflops),
    memory_bandwidth_gbps: num(o.memoryBandwidthGBps),
    on_demand_usd_per_hour: money(o.onDemandUsdPerHour),
    spot_usd_per_hour: money(o.spotUsdPerHour),
    spot_modelled: String(o.spotModelled),
    reserved_1y_usd_per_hour: money(o.reserved1yUsdPerHour),
    reserved_1y_modelled: String(o.reserved1yModelled),
    reserved_3y_usd_per_hour: money(o.reserved3yUsdPerHour),
    reserved_3y_modelled: String(o.reserved3yModelled),
    usd_per_gpu_hour: money(o.usdPerGpuHour),
    usd_per_tflops_hour: money(o.usdPerTflopsHour),
    as_of: o.asOf,
  };
}
