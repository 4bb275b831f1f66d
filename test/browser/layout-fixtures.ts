// The two pages the layout tests open: the weekly e-mail with large figures and long names, and a simulation report of six policies over two weeks.
import { parseUsd } from '../../lib/domain/money.ts';
import { DAY_MS, HOUR_MS, toRfc3339 } from '../../lib/domain/time.ts';
import { renderReportHtml } from '../../lib/notify/report/html.ts';
import { buildWeeklyReport } from '../../lib/notify/report/model.ts';
import { renderHtmlReport } from '../../lib/sim/output/html.ts';
import type { SimulationSummary } from '../../lib/sim/output/summary.ts';
import type { SimulationResult } from '../../lib/sim/simulate.ts';
import type { AttributionRow } from '../../lib/domain/attribution.ts';
import type { LedgerEntry } from '../../lib/domain/ledger.ts';

export const WEEK = Date.parse('2026-03-02T00:00:00Z');

/** One attribution row, with what a real fleet's spend looks like at scale: seven figures a week. */
function row(hourMs: number, team: string, project: string, job: string, usd: string): AttributionRow {
  return {
    ChargePeriodStart: toRfc3339(hourMs),
    ChargePeriodEnd: toRfc3339(hourMs + HOUR_MS),
    EffectiveCost: parseUsd(usd),
    ListCost: parseUsd(usd),
    x_GpuSeconds: 8 * 3600,
    x_Team: team,
    x_Project: project,
    x_JobId: job,
    Tags: { team, project },
  } as unknown as AttributionRow;
}

/** The e-mail of a big fleet's week: figures past a million dollars, a long project name, a forecast of 48 h. */
export function emailHtml(): string {
  const attribution: AttributionRow[] = [];
  for (let h = 0; h < 168; h += 6) {
    const at = WEEK + h * HOUR_MS;
    attribution.push(
      row(at, 'foundation-models', 'llm-pretraining-70b-run-2026-q1-restart', 'job-1', '41234.560000'),
    );
    attribution.push(row(at, 'vision', 'segmentation', 'job-2', '1234.500000'));
    attribution.push(row(at, 'speech-and-audio-research', 'asr', '__idle__', '3999.990000'));
  }
  const ledger: LedgerEntry[] = [
    {
      entryId: 'e1',
      at: toRfc3339(WEEK + DAY_MS),
      lever: 'spot-move',
      target: 'aws:us-east-1:us-east-1a:p4d.24xlarge',
      reason: 'moved interruptible training to spot',
      mode: 'enforce',
      status: 'done',
      counterfactualCostUsd: parseUsd('900000.000000'),
      actualCostUsd: parseUsd('123456.780000'),
      periodStart: toRfc3339(WEEK + DAY_MS),
      periodEnd: toRfc3339(WEEK + 2 * DAY_MS),
    },
  ];
  const next = WEEK + 7 * DAY_MS;
  const report = buildWeeklyReport({
    weekStartMs: WEEK,
    attribution,
    ledger,
    forecasts: [
      {
        classId: 'foundation-models-a100-80gb-nvlink',
        issuedAt: toRfc3339(next - HOUR_MS),
        stepSeconds: 3600,
        model: 'seasonal-naive',
        scores: [],
        steps: Array.from({ length: 48 }, (_, i) => ({
          at: toRfc3339(next + i * HOUR_MS),
          point: 512,
          p50: 512,
          p90: 600,
          p99: 640,
        })),
      },
    ],
    plans: [],
  });
  return renderReportHtml(report);
}

const POLICIES = [
  ['optimizer', 1.012],
  ['oracle', 1],
  ['on-demand-peak', 2.9],
  ['reactive-on-demand', 1.9],
  ['spot-first', 1.35],
  ['spot-reserved', 1.2],
] as const;

/** A simulation report: six policies whose totals lie within a few percent and a few times of each other. */
export function simulationHtml(): string {
  const hours = 14 * 24;
  const from = Date.parse('2017-11-06T00:00:00Z');
  const demand = (h: number) => 300 + 200 * Math.sin((h / 24) * 2 * Math.PI);
  const runs = POLICIES.map(([name, factor]) => ({
    name,
    hours: Array.from({ length: hours }, (_, h) => ({
      hour: h,
      atMs: from + h * HOUR_MS,
      costUsd: BigInt(Math.round(demand(h) * 2.5 * factor * (1 + 0.05 * Math.sin(h / 7)) * 1e6)),
      demandGpus: demand(h),
      usedGpusByOption: { 'on-prem': 64, reserved: 96, spot: demand(h) * 0.5, 'on-demand': demand(h) * 0.2 },
    })),
  }));
  const ledger: LedgerEntry[] = Array.from({ length: 12 }, (_, i) => ({
    entryId: `ledger-entry-${i}-aws-us-east-1-p4d.24xlarge-spot-move`,
    at: toRfc3339(from + i * DAY_MS),
    lever: i % 2 ? 'spot-move' : 'reclaim',
    target: 'aws:us-east-1:us-east-1a:p4d.24xlarge',
    reason:
      'moved 12 interruptible GPUs of class foundation-models-a100-80gb-nvlink to spot in us-east-1a, where the interruption rate is 2 % per hour',
    mode: 'enforce',
    status: 'done',
    counterfactualCostUsd: parseUsd('123456.780000'),
    actualCostUsd: parseUsd('23456.780000'),
    periodStart: toRfc3339(from + i * DAY_MS),
    periodEnd: toRfc3339(from + (i + 1) * DAY_MS),
  }));
  const result = {
    scenario: { name: 'philly-2017-11 (two weeks, six policies)' },
    runs,
    ledger,
    optimizerForecast: Array.from({ length: hours }, (_, h) => ({ hour: h, gpus: demand(h) * 1.1 })),
    log: [],
  } as unknown as SimulationResult;
  const policies = POLICIES.map(([name, factor]) => ({
    name,
    costUsd: (1_234_567.89 * factor).toFixed(6),
    costPerServedGpuHourUsd: (2.5 * factor).toFixed(6),
    savingVsOnDemandPct: name === 'on-demand-peak' ? 0 : (1 - factor / 2.9) * 100,
    ratioToOracle: factor,
    lateGpuHours: 12_345.6,
    interruptions: 1_234,
    lostGpuHours: 2_345.4,
    idleGpuHours: 123_456.7,
  }));
  const summary = {
    from: toRfc3339(from),
    to: toRfc3339(from + hours * HOUR_MS),
    billedHours: hours,
    assumptions: ['Spot prices are the real history of the region; interruptions follow the advisor rates.'],
    policies,
    optimizerVsBestOther: { bestOther: 'spot-reserved', ratio: 1.012 / 1.2 },
    architectures: {
      ownedUsdPerGpuHour: 1.234,
      breakEvenUtilizationVsOnDemand: 0.41,
      breakEvenUtilizationVsOptimizedCloud: 0.67,
      assumptions: ['Owned GPUs cost their purchase over four years plus power and space.'],
      results: [
        {
          name: 'hybrid-owned-base-cloud-burst',
          description:
            'own the GPUs busy more than two thirds of the time, rent the rest through the optimizer',
          onPremGpus: 256,
          costUsd: '987654.320000',
          costPerServedGpuHourUsd: '1.980000',
          lateGpuHours: 12.3,
          idleGpuHours: 4567.8,
        },
      ],
    },
    system: null,
  } as unknown as SimulationSummary;
  return renderHtmlReport(result, summary);
}
