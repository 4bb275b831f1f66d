// A week of stored attribution, ledger entries, a class and its forecast: the report tests' one data set and its expected figures.
import type { AttributionRow } from '../../lib/domain/attribution.ts';
import { IDLE_OWNER } from '../../lib/domain/labels.ts';
import type { LedgerEntry } from '../../lib/domain/ledger.ts';
import { parseUsd } from '../../lib/domain/money.ts';
import type { Store } from '../../lib/domain/ports.ts';
import { HOUR_MS, toRfc3339 } from '../../lib/domain/time.ts';

/** Monday of the reported week. */
export const WEEK_START = '2026-03-02T00:00:00Z';
export const NEXT_WEEK = '2026-03-09T00:00:00Z';

function row(hour: string, team: string, project: string, jobId: string, cost: string): AttributionRow {
  const start = Date.parse(hour);
  return {
    BilledCost: parseUsd(cost),
    EffectiveCost: parseUsd(cost),
    ListCost: parseUsd(cost),
    ChargeCategory: 'Usage',
    ChargePeriodStart: hour,
    ChargePeriodEnd: toRfc3339(start + HOUR_MS),
    PricingCategory: 'Standard',
    ResourceId: `i-${team}`,
    ResourceType: 'g5.xlarge',
    RegionId: 'us-east-1',
    SkuPriceId: 'g5.xlarge:on-demand',
    Tags: {},
    x_JobId: jobId,
    x_User: jobId === IDLE_OWNER ? IDLE_OWNER : `${team}-user`,
    x_Project: project,
    x_Team: team,
    x_PoolId: 'aws:us-east-1:us-east-1a:g5.xlarge',
    x_PurchaseOption: 'on-demand',
    x_GpuSeconds: jobId === IDLE_OWNER ? 0 : 3600,
    x_CostSource: 'list',
  };
}

function entry(
  id: string,
  at: string,
  lever: LedgerEntry['lever'],
  status: LedgerEntry['status'],
  counterfactual: string,
  actual: string,
): LedgerEntry {
  return {
    entryId: id,
    at,
    lever,
    target: `target-${id}`,
    reason: `reason of ${id}`,
    mode: status === 'recommended' ? 'recommend' : 'enforce',
    status,
    counterfactualCostUsd: parseUsd(counterfactual),
    actualCostUsd: parseUsd(actual),
    periodStart: at,
    periodEnd: toRfc3339(Date.parse(at) + HOUR_MS),
  };
}

export const HOURS: Record<string, AttributionRow[]> = {
  '2026-03-02T10:00:00Z': [
    row('2026-03-02T10:00:00Z', 'vision', 'detect', 'job-1', '10.000000'),
    row('2026-03-02T10:00:00Z', 'vision', 'detect', IDLE_OWNER, '2.500000'),
    row('2026-03-02T10:00:00Z', 'nlp', 'chat', 'job-2', '20.000000'),
  ],
  '2026-03-03T10:00:00Z': [row('2026-03-03T10:00:00Z', 'nlp', 'chat', 'job-3', '5.000000')],
  // the following week: not in the report
  '2026-03-09T10:00:00Z': [row('2026-03-09T10:00:00Z', 'nlp', 'chat', 'job-4', '100.000000')],
};

export const LEDGER: LedgerEntry[] = [
  entry('r1', '2026-03-03T12:00:00Z', 'reclaim', 'done', '8.000000', '0.000000'),
  entry('s1', '2026-03-04T12:00:00Z', 'spot-move', 'recommended', '30.000000', '20.000000'),
  entry('f1', '2026-03-05T12:00:00Z', 'rebalance', 'failed', '50.000000', '0.000000'),
  entry('r0', '2026-02-24T12:00:00Z', 'reclaim', 'done', '4.000000', '0.000000'),
];

/** What the report must say about the week. */
export const EXPECTED = {
  spend: '$37.50',
  nlp: '$25.00',
  vision: '$12.50',
  idle: '$2.50',
  reclaimDone: '$8.00',
  spotMoveRecommended: '$10.00',
  forecastMean: '6.0',
  forecastPeak: '9.0',
};

export async function seedWeek(store: Store): Promise<void> {
  for (const [hour, rows] of Object.entries(HOURS)) await store.attribution.putHour(Date.parse(hour), rows);
  for (const e of LEDGER) await store.ledger.record(e);
  await store.classes.put({
    id: 'vision-a100',
    team: 'vision',
    minGpuMemoryGiB: 40,
    interconnect: 'pcie',
    allowedGpuModels: [],
    spotShare: 0.5,
    checkpointIntervalMinutes: 60,
  });
  const from = Date.parse(NEXT_WEEK);
  await store.forecasts.put({
    classId: 'vision-a100',
    issuedAt: '2026-03-08T23:00:00Z',
    stepSeconds: 3600,
    model: 'seasonal-naive',
    scores: [],
    steps: Array.from({ length: 48 }, (_, i) => ({
      at: toRfc3339(from + i * HOUR_MS),
      point: 6,
      p50: 6,
      p90: i === 20 ? 9 : 7,
      p99: 10,
    })),
  });
}
