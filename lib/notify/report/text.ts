// The weekly report as plain text: the e-mail's text part, for clients and people that do not read HTML.
import { reconciliationLines } from '../../attribution/reconcile.ts';
import { gpuUseText, type CostTotal } from '../../attribution/summary.ts';
import { formatUsdForDisplay } from '../../domain/money.ts';
import { forecastCoverage, type WeeklyReport } from './model.ts';

const usd = formatUsdForDisplay;
const TEXT_WIDTH = 72;

function table(rows: [string, string][]): string[] {
  return rows.map(([k, v]) => `  ${k.padEnd(Math.max(1, TEXT_WIDTH - 4 - v.length))} ${v}`);
}
const owners = (totals: readonly CostTotal[]) => table(totals.map((t) => [t.key, usd(t.effectiveUsd)]));

export function renderReportText(report: WeeklyReport): string {
  const lines = [
    `GPU savings report, week of ${report.weekStart.slice(0, 10)} to ${report.weekEnd.slice(0, 10)} (UTC)`,
    '',
    ...table([
      ['GPU spend', usd(report.totalSpendUsd)],
      ['Saved (done)', usd(report.savingsDoneUsd)],
      ['Recommended, not done', usd(report.savingsRecommendedUsd)],
      ['Idle waste', usd(report.idleWasteUsd)],
    ]),
    '',
    'Spend by team',
    ...(report.spendByTeam.length
      ? table(report.spendByTeam.map((t) => [t.key, `${usd(t.effectiveUsd)} · ${gpuUseText(t)}`]))
      : ['  none']),
    '',
    'Spend by project',
    ...(report.spendByProject.length ? owners(report.spendByProject) : ['  none']),
    '',
    'Savings by lever (done / recommended)',
    ...table(
      report.savingsByLever.map((l) => [
        `${l.lever} (${l.actions})`,
        `${usd(l.doneUsd)} / ${usd(l.recommendedUsd)}`,
      ]),
    ),
    '',
    'Idle waste by team',
    ...(report.idleByTeam.length ? owners(report.idleByTeam) : ['  none']),
    '',
    `Demand forecast for the week of ${report.forecastWeek.start.slice(0, 10)} to ${report.forecastWeek.end.slice(0, 10)} (mean p50 GPUs, peak p90)`,
    ...(report.forecast.length
      ? report.forecast.flatMap((f) => [
          ...table([
            [
              f.classId,
              f.meanP50Gpus === null
                ? 'not forecast'
                : `${f.meanP50Gpus.toFixed(1)} (peak ${(f.peakP90Gpus ?? 0).toFixed(1)})`,
            ],
          ]),
          `    ${forecastCoverage(f)}`,
        ])
      : ['  no forecast yet']),
    '',
    'Top recommendations',
    ...(report.recommendations.length
      ? report.recommendations.map(
          (r, i) => `  ${i + 1}. ${usd(r.weeklySavingUsd)}/week · ${r.lever} ${r.target}: ${r.reason}`,
        )
      : ['  nothing to recommend this week']),
    '',
    ...(report.reconciliation
      ? [
          'Attributed cost against the bill, per day and account',
          ...reconciliationLines(report.reconciliation).map((line) => `  ${line}`),
          '',
        ]
      : []),
  ];
  return lines.join('\n');
}
