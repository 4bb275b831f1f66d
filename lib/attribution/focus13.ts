// Attribution rows as FOCUS 1.3 cost and usage rows, with the split cost allocation columns for shared GPUs.
import { z } from 'zod';
import type { AttributionRow } from '../domain/attribution.ts';
import { IDLE_OWNER, SHARED_OWNER, UNALLOCATED_OWNER } from '../domain/labels.ts';
import { formatUsd } from '../domain/money.ts';
import { writeCsv } from '../format/csv.ts';

export const FOCUS_VERSION = '1.3';

/** The documented allocation methods (AllocatedMethodId): how a node-hour's cost was split. */
export const ALLOCATION_METHODS = {
  /** By busy GPU-seconds of whole GPUs; the rest is idle. */
  gpuSeconds: 'gpu-optimizer/gpu-seconds',
  /** By device-seconds × each device's exact share of the physical GPU (MIG, vGPU, time-slicing). */
  sharedGpuCompute: 'gpu-optimizer/shared-gpu-compute',
  sharedGpuMemory: 'gpu-optimizer/shared-gpu-memory',
} as const;

const zDecimal = z.string().regex(/^-?\d+\.\d{6}$/, 'a decimal with 6 places');
const zJsonObjectText = z.string().refine((text) => {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}, 'a JSON object');

/** One allocated charge's method details: FOCUS 1.3's AllocatedMethodDetailsObject. */
export const zAllocatedMethodDetails = z.object({
  Elements: z
    .array(
      z.object({
        AllocatedRatio: z.number().min(0).max(1),
        UsageUnit: z.string().min(1),
        UsageQuantity: z.number().min(0),
      }),
    )
    .min(1),
  x_GpuPartition: z.string().optional(),
});

/**
 * The columns this project writes, as FOCUS 1.3 states them for its Cost and Usage dataset (types, nullability),
 * with the project's own x_ columns. Published as schemas/focus-1.3-attribution.json.
 */
export const zFocus13Row = z.object({
  BilledCost: zDecimal,
  EffectiveCost: zDecimal,
  ListCost: zDecimal,
  BillingCurrency: z.literal('USD'),
  ChargeCategory: z.enum(['Usage', 'Purchase', 'Tax', 'Credit', 'Adjustment']),
  ChargeClass: z.null(),
  ChargeDescription: z.string().min(1),
  ChargePeriodStart: z.iso.datetime(),
  ChargePeriodEnd: z.iso.datetime(),
  PricingCategory: z.enum(['Standard', 'Dynamic', 'Committed', 'Other']),
  ResourceId: z.string().min(1),
  ResourceType: z.string().min(1),
  RegionId: z.string(),
  ServiceCategory: z.literal('Compute'),
  ServiceName: z.string().min(1),
  HostProviderName: z.string().min(1),
  SkuPriceId: z.string(),
  Tags: zJsonObjectText,
  AllocatedMethodId: z.string().min(1).nullable(),
  AllocatedMethodDetails: zJsonObjectText.nullable(),
  AllocatedResourceId: z.string().min(1).nullable(),
  AllocatedResourceName: z.string().min(1).nullable(),
  AllocatedTags: zJsonObjectText.nullable(),
  x_JobId: z.string().min(1),
  x_User: z.string().min(1),
  x_Project: z.string().min(1),
  x_Team: z.string().min(1),
  x_PoolId: z.string().min(1),
  x_PurchaseOption: z.string().min(1),
  x_GpuHours: z.number().min(0),
  x_CostSource: z.enum(['list', 'bill']),
});
export type Focus13Row = z.infer<typeof zFocus13Row>;
export const FOCUS13_COLUMNS = Object.keys(zFocus13Row.shape) as (keyof Focus13Row)[];

/** The JSON Schema of the rows (one row as a JSON object; CSV writes the same columns as text). */
export function focus13JsonSchema(): Record<string, unknown> {
  return {
    $id: 'https://gpu-optimizer.dev/schemas/focus-1.3-attribution.json',
    title: 'FOCUS 1.3 cost and usage rows written by gpu-optimizer attribution',
    ...z.toJSONSchema(zFocus13Row),
  };
}

function sortedJson(value: Record<string, unknown>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1))));
}

/** A node-hour is the origin charge the rows of one resource and period split. */
function originKey(r: AttributionRow): string {
  return `${r.ResourceId}|${r.ChargePeriodStart}|${r.x_CostSource}`;
}

const UNOWNED = new Set([IDLE_OWNER, SHARED_OWNER, UNALLOCATED_OWNER]);

/**
 * FOCUS 1.3 rows. Node rows are allocated charges of their node-hour (the origin charge): each carries its method,
 * its ratio of the origin (the ratios of one origin sum to 1) and the job it is allocated to; the idle remainder
 * has no AllocatedResourceId, as the spec requires of the unallocated portion. Commitment rows are not split.
 */
export function focus13Rows(rows: readonly AttributionRow[]): Focus13Row[] {
  const totals = new Map<string, { seconds: number; rows: number }>();
  for (const r of rows) {
    const t = totals.get(originKey(r)) ?? { seconds: 0, rows: 0 };
    t.seconds += r.x_GpuSeconds;
    t.rows++;
    totals.set(originKey(r), t);
  }
  return rows.map((r): Focus13Row => {
    const split = r.ResourceType !== 'Commitment';
    const total = totals.get(originKey(r))!;
    const ratio = total.seconds > 0 ? r.x_GpuSeconds / total.seconds : 1 / total.rows;
    const partition = r.Tags['gpu-partition'];
    const method = !split
      ? null
      : partition
        ? r.Tags['gpu-share-basis'] === 'memory'
          ? ALLOCATION_METHODS.sharedGpuMemory
          : ALLOCATION_METHODS.sharedGpuCompute
        : ALLOCATION_METHODS.gpuSeconds;
    const owned = !UNOWNED.has(r.x_JobId);
    return {
      BilledCost: formatUsd(r.BilledCost),
      EffectiveCost: formatUsd(r.EffectiveCost),
      ListCost: formatUsd(r.ListCost),
      BillingCurrency: 'USD',
      ChargeCategory: r.ChargeCategory,
      ChargeClass: null,
      ChargeDescription: split
        ? `GPU node-hour of ${r.Tags['gpu-model'] ?? 'GPU'}${partition ? ` (${partition})` : ''}`
        : 'Unused commitment',
      ChargePeriodStart: r.ChargePeriodStart,
      ChargePeriodEnd: r.ChargePeriodEnd,
      PricingCategory: r.PricingCategory,
      ResourceId: r.ResourceId,
      ResourceType: r.ResourceType,
      RegionId: r.RegionId,
      ServiceCategory: 'Compute',
      ServiceName: 'GPU compute',
      HostProviderName: r.Tags.provider ?? r.x_PoolId.split(':')[0] ?? 'unknown',
      SkuPriceId: r.SkuPriceId,
      Tags: sortedJson(r.Tags),
      AllocatedMethodId: method,
      AllocatedMethodDetails: method
        ? JSON.stringify({
            Elements: [
              { AllocatedRatio: ratio, UsageUnit: 'GPU-Hours', UsageQuantity: r.x_GpuSeconds / 3600 },
            ],
            ...(partition ? { x_GpuPartition: partition } : {}),
          })
        : null,
      AllocatedResourceId: method && owned ? r.x_JobId : null,
      AllocatedResourceName: method && owned ? r.x_JobId : null,
      AllocatedTags: method ? sortedJson({ project: r.x_Project, team: r.x_Team, user: r.x_User }) : null,
      x_JobId: r.x_JobId,
      x_User: r.x_User,
      x_Project: r.x_Project,
      x_Team: r.x_Team,
      x_PoolId: r.x_PoolId,
      x_PurchaseOption: r.x_PurchaseOption,
      x_GpuHours: r.x_GpuSeconds / 3600,
      x_CostSource: r.x_CostSource,
    };
  });
}

/** FOCUS 1.3 rows as CSV (nulls as empty cells, formula-like text neutralised). */
export function focus13Csv(rows: readonly AttributionRow[]): string {
  return writeCsv(FOCUS13_COLUMNS, focus13Rows(rows));
}
