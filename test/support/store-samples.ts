// Sample entities for store tests: small, valid, with money amounts that a float would not keep exact.
import type { AttributionRow } from '../../lib/domain/attribution.ts';
import type { FleetNode } from '../../lib/domain/fleet.ts';
import type { Forecast } from '../../lib/domain/forecast.ts';
import type { LedgerEntry } from '../../lib/domain/ledger.ts';
import type { Plan } from '../../lib/domain/plan.ts';
import type { PriceQuote } from '../../lib/domain/price.ts';
import { HOUR_MS, toRfc3339, WINDOW_MS } from '../../lib/domain/time.ts';
import { rollupBatch, type UtilizationBatch, type WindowRollup } from '../../lib/domain/usage.ts';
import type { WorkloadClass } from '../../lib/domain/workload.ts';

/** 2026-03-01T00:00:00Z: every sample time is an offset from here. */
export const T0 = Date.UTC(2026, 2, 1);
/** More than 2^53 micro-dollars: exact only if money never passes through a float. */
export const HUGE_USD = 9_007_199_254_740_993n;

export function sampleRollup(
  nodeId: string,
  windowStartMs: number,
  options: { bootId?: string; gpus?: number; readingsPerGpu?: number; longNames?: boolean } = {},
): WindowRollup {
  const gpus = options.gpus ?? 2;
  const readings = options.readingsPerGpu ?? 3;
  const batch: UtilizationBatch = {
    schemaVersion: '1',
    node: {
      nodeId,
      provider: 'aws',
      region: 'us-east-1',
      zone: 'us-east-1a',
      instanceType: 'p4d.24xlarge',
      poolId: 'aws:us-east-1:us-east-1a:p4d.24xlarge',
      labels: { team: 'vision' },
    },
    bootId: options.bootId ?? 'boot-1',
    windowStart: toRfc3339(windowStartMs),
    sampleIntervalSeconds: 10,
    gpus: Array.from({ length: gpus }, (_, index) => ({
      index,
      // Long names make big items cheaply: dynalite spends its time on numbers, not on strings.
      uuid: `GPU-${nodeId}-${index}`.padEnd(options.longNames ? 250 : 0, '-0123456789abcdef'),
      model: 'A100-SXM4-40GB'.padEnd(options.longNames ? 250 : 0, '.'),
      memoryTotalMiB: 40_960,
      readings: Array.from({ length: readings }, (_, r) => ({
        at: toRfc3339(windowStartMs + r * 10_000),
        utilizationPct: (index * 37 + r * 11) % 101,
        memoryUsedMiB: 1_000 + r,
        powerW: 250.5,
        temperatureC: 61,
        smActivityPct: r === 0 ? null : 33.333333333333336,
      })),
      processes: [
        { pid: 100 + index, usedMemoryMiB: 1_000, jobId: `job-${index}`, user: 'ada', team: 'vision' },
      ],
    })),
    lastLoginAt: null,
  };
  return rollupBatch(batch);
}

export function sampleNode(nodeId: string): FleetNode {
  return {
    nodeId,
    provider: 'aws',
    poolId: 'aws:us-east-1:us-east-1a:p4d.24xlarge',
    region: 'us-east-1',
    zone: 'us-east-1a',
    instanceType: 'p4d.24xlarge',
    purchaseOption: 'on-demand',
    state: 'running',
    gpuModel: 'A100-SXM4-40GB',
    gpuCount: 8,
    launchedAt: toRfc3339(T0),
    labels: { team: 'vision', project: 'detector' },
    managed: true,
    protected: false,
    runningJobs: ['job-1'],
  };
}

export function sampleForecast(classId: string, issuedAtMs: number): Forecast {
  return {
    classId,
    issuedAt: toRfc3339(issuedAtMs),
    stepSeconds: 3_600,
    model: 'seasonal-naive',
    scores: [{ model: 'seasonal-naive', mase: 0.91, smape: 12.5, pinball: null, coverageP90: 0.88 }],
    steps: [0, 1, 2].map((h) => ({
      at: toRfc3339(issuedAtMs + (h + 1) * HOUR_MS),
      point: 10 + h,
      p50: 10 + h,
      p90: 14.5 + h,
      p99: 20.25 + h,
    })),
  };
}

export function samplePlan(planId: string, createdAtMs: number): Plan {
  return {
    planId,
    createdAt: toRfc3339(createdAtMs),
    horizonStart: toRfc3339(createdAtMs),
    horizonEnd: toRfc3339(createdAtMs + 24 * HOUR_MS),
    quantile: 'p90',
    mode: 'recommend',
    lines: [
      {
        poolId: 'aws:us-east-1:us-east-1a:p4d.24xlarge',
        option: 'spot',
        periodStart: toRfc3339(createdAtMs),
        periodEnd: toRfc3339(createdAtMs + HOUR_MS),
        instances: 3,
        costUsd: 29_491_234n,
      },
    ],
    totalCostUsd: HUGE_USD,
    explanations: [{ poolId: 'p', text: 'cheapest that meets p90', costUsd: 1n, nextBestCostUsd: null }],
    actions: [
      {
        actionId: `${planId}-a1`,
        kind: 'launch',
        poolId: 'p',
        option: 'spot',
        count: 3,
        nodeIds: [],
        reason: 'forecast p90 exceeds capacity',
        mode: 'recommend',
        status: 'recommended',
        expectedSavingUsdPerHour: -1n,
      },
    ],
  };
}

export function sampleLedgerEntry(entryId: string, atMs: number): LedgerEntry {
  return {
    entryId,
    at: toRfc3339(atMs),
    lever: 'reclaim',
    target: 'i-0abc',
    reason: 'idle 2 h',
    mode: 'recommend',
    status: 'recommended',
    counterfactualCostUsd: HUGE_USD,
    actualCostUsd: 123_456n,
    periodStart: toRfc3339(atMs),
    periodEnd: toRfc3339(atMs + HOUR_MS),
  };
}

export function sampleAttributionRow(hourStartMs: number, jobId: string, billedUsd: bigint): AttributionRow {
  return {
    BilledCost: billedUsd,
    EffectiveCost: billedUsd,
    ListCost: HUGE_USD,
    ChargeCategory: 'Usage',
    ChargePeriodStart: toRfc3339(hourStartMs),
    ChargePeriodEnd: toRfc3339(hourStartMs + HOUR_MS),
    PricingCategory: 'Dynamic',
    ResourceId: 'i-0abc',
    ResourceType: 'p4d.24xlarge',
    RegionId: 'us-east-1',
    SkuPriceId: '',
    Tags: { team: 'vision' },
    x_JobId: jobId,
    x_User: 'ada',
    x_Project: 'detector',
    x_Team: 'vision',
    x_PoolId: 'aws:us-east-1:us-east-1a:p4d.24xlarge',
    x_PurchaseOption: 'spot',
    x_GpuSeconds: 1_234.5,
    x_CostSource: 'list',
  };
}

export function samplePrice(
  poolId: string,
  option: PriceQuote['option'],
  usdPerHour: bigint,
  termYears?: 1 | 3,
): PriceQuote {
  return {
    poolId,
    option,
    usdPerHour,
    asOf: toRfc3339(T0),
    source: 'catalog',
    modelled: false,
    ...(termYears ? { termYears } : {}),
    ...(option === 'spot' ? { spotInterruptionRatePerHour: 0.0125 } : {}),
  };
}

export function sampleClass(id: string, spotShare = 0.5): WorkloadClass {
  return {
    id,
    team: 'vision',
    minGpuMemoryGiB: 40,
    interconnect: 'nvlink',
    allowedGpuModels: ['A100-SXM4-40GB'],
    spotShare,
    checkpointIntervalMinutes: 30,
  };
}

export { WINDOW_MS, HOUR_MS };
