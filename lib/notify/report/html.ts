// The weekly report as HTML that mail clients render: tables, inline styles, bars drawn as table cells (no script, no image),
// fluid from a 320 px phone to the 640 px column.
import { reconciliationLines } from '../../attribution/reconcile.ts';
import { gpuUseText, type CostTotal } from '../../attribution/summary.ts';
import { formatUsdForDisplay, usdToNumber, type MicroUsd } from '../../domain/money.ts';
import { escapeHtml } from '../../format/html.ts';
import { forecastCoverage, type WeeklyReport } from './model.ts';

/** The width mail clients lay out reliably; the page is fluid below it. */
export const REPORT_MAX_WIDTH_PX = 640;
/** Three tiles fit a row in a 640 px window (592 px of column), one per row on a 375 px phone (327 px). */
const KPI_TILE_PX = 192;
const BAR_COLORS = {
  spend: '#2563eb',
  idle: '#dc2626',
  done: '#16a34a',
  recommended: '#a3e635',
  forecast: '#7c3aed',
};
const FONT = "font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif";
/**
 * The three columns of a bar row. The value column is wide enough for "$1,234,567.89" at 13 px in a 375 px
 * phone's column and may wrap between words, never inside a figure; a long label breaks anywhere.
 */
const LABEL_CELL = 'padding:4px 8px 4px 0;width:30%;overflow-wrap:anywhere;word-break:break-word';
const VALUE_CELL = 'padding:4px 0 4px 8px;width:34%;text-align:right;overflow-wrap:anywhere';

const usd = (v: MicroUsd) => formatUsdForDisplay(v);
const day = (rfc3339: string) => rfc3339.slice(0, 10);
const pct = (part: number, whole: number) =>
  whole <= 0 ? 0 : Math.max(0, Math.min(100, (part / whole) * 100));

/** A horizontal bar: a two-cell table whose first cell has the bar's width, which every mail client draws. */
export function htmlBar(valuePct: number, color: string): string {
  const width = Math.round(valuePct * 10) / 10;
  if (width <= 0)
    return '<table role="presentation" class="bar" width="100%" cellpadding="0" cellspacing="0"><tr><td style="height:12px"></td></tr></table>';
  return `<table role="presentation" class="bar" width="100%" cellpadding="0" cellspacing="0" style="table-layout:fixed"><tr><td class="bar-fill" width="${width}%" style="background:${color};height:12px;font-size:0;line-height:0">&nbsp;</td>${width < 100 ? '<td style="font-size:0;line-height:0">&nbsp;</td>' : ''}</tr></table>`;
}

function barRows(rows: { label: string; value: string; share: number; color: string }[]): string {
  return rows
    .map(
      (r) =>
        `<tr><td style="${LABEL_CELL}">${escapeHtml(r.label)}</td><td style="padding:4px 0">${htmlBar(r.share, r.color)}</td><td style="${VALUE_CELL}">${escapeHtml(r.value)}</td></tr>`,
    )
    .join('');
}

function chart(id: string, title: string, body: string): string {
  return `<div class="chart" id="${id}" style="margin:0 0 20px"><h2 style="font-size:16px;margin:16px 0 8px">${escapeHtml(title)}</h2><table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="font-size:13px;table-layout:fixed">${body}</table></div>`;
}

function ownerChart(
  id: string,
  title: string,
  totals: readonly CostTotal[],
  color: string,
  empty: string,
  /** Said after the amount: the team chart gives each team's GPU-hours, fractional GPUs at their share. */
  detail?: (total: CostTotal) => string,
): string {
  const max = Math.max(0, ...totals.map((t) => usdToNumber(t.effectiveUsd)));
  if (totals.length === 0) return chart(id, title, `<tr><td>${escapeHtml(empty)}</td></tr>`);
  return chart(
    id,
    title,
    barRows(
      totals.map((t) => ({
        label: t.key,
        value: detail ? `${usd(t.effectiveUsd)} · ${detail(t)}` : usd(t.effectiveUsd),
        share: pct(usdToNumber(t.effectiveUsd), max),
        color,
      })),
    ),
  );
}

/**
 * The three headline figures as tiles that sit side by side where there is room and stack on a phone: each
 * is an inline block of at most a third of the column ("fluid hybrid"), so no client needs a media query.
 */
function headline(report: WeeklyReport): string {
  const tile = (label: string, value: string, color: string) =>
    `<div class="kpi" style="display:inline-block;vertical-align:top;box-sizing:border-box;width:100%;max-width:${KPI_TILE_PX}px;margin:0 0 8px;padding:8px;border:1px solid #e5e7eb"><div style="font-size:12px;color:#6b7280">${escapeHtml(label)}</div><div style="font-size:20px;font-weight:600;color:${color};overflow-wrap:anywhere">${escapeHtml(value)}</div></div>`;
  // No whitespace between the tiles: inline blocks would add a gap that can push the third to a new line.
  return `<div id="headline" style="font-size:0;margin:0 0 4px">${[
    tile('GPU spend', usd(report.totalSpendUsd), '#111827'),
    tile('Saved (done)', usd(report.savingsDoneUsd), BAR_COLORS.done),
    tile('Idle waste', usd(report.idleWasteUsd), BAR_COLORS.idle),
  ].join(
    '',
  )}</div><p style="font-size:13px;color:#374151;margin:4px 0 12px">A further <strong>${escapeHtml(usd(report.savingsRecommendedUsd))}</strong> was recommended but not carried out.</p>`;
}

function savingsCharts(report: WeeklyReport): string {
  const levers = report.savingsByLever;
  const maxLever = Math.max(0, ...levers.map((l) => usdToNumber(l.doneUsd + l.recommendedUsd)));
  const leverRows = levers
    .map((l) => {
      const done = pct(usdToNumber(l.doneUsd), maxLever);
      const rec = pct(usdToNumber(l.recommendedUsd), maxLever);
      const bar =
        done + rec <= 0
          ? htmlBar(0, BAR_COLORS.done)
          : `<table role="presentation" class="bar" width="100%" cellpadding="0" cellspacing="0" style="table-layout:fixed"><tr>${done > 0 ? `<td class="bar-fill" width="${done.toFixed(1)}%" style="background:${BAR_COLORS.done};height:12px;font-size:0">&nbsp;</td>` : ''}${rec > 0 ? `<td class="bar-fill" width="${rec.toFixed(1)}%" style="background:${BAR_COLORS.recommended};height:12px;font-size:0">&nbsp;</td>` : ''}${done + rec < 100 ? '<td style="font-size:0">&nbsp;</td>' : ''}</tr></table>`;
      return `<tr><td style="${LABEL_CELL}">${escapeHtml(l.lever)} <span style="color:#6b7280">(${l.actions})</span></td><td style="padding:4px 0">${bar}</td><td style="${VALUE_CELL}">${escapeHtml(usd(l.doneUsd))}<br><span style="color:#6b7280;font-size:11px">+${escapeHtml(usd(l.recommendedUsd))} rec.</span></td></tr>`;
    })
    .join('');
  const maxWeek = Math.max(0, ...report.savingsTrend.map((w) => usdToNumber(w.doneUsd)));
  const trend = barRows(
    report.savingsTrend.map((w) => ({
      label: `week of ${day(w.weekStart)}`,
      value: usd(w.doneUsd),
      share: pct(usdToNumber(w.doneUsd), maxWeek),
      color: BAR_COLORS.done,
    })),
  );
  return (
    chart('savings-by-lever', 'Savings by lever (done, then recommended)', leverRows) +
    chart('savings-trend', `Savings done, last ${report.savingsTrend.length} weeks`, trend)
  );
}

const gpus = (v: number | null) => (v === null ? 'not forecast' : `${v.toFixed(1)} GPUs`);

/** A day of the coming week, named as a reader would: "Mon 9". */
const weekday = (startMs: number, day: number) =>
  new Date(startMs + day * 86_400_000).toLocaleDateString('en-GB', {
    weekday: 'short',
    day: 'numeric',
    timeZone: 'UTC',
  });

function forecastChart(report: WeeklyReport): string {
  const span = `${day(report.forecastWeek.start)} to ${day(report.forecastWeek.end)}`;
  if (report.forecast.length === 0)
    return chart('forecast', `Demand forecast for the week of ${span}`, '<tr><td>No forecast yet.</td></tr>');
  const max = Math.max(0, ...report.forecast.map((f) => f.peakP90Gpus ?? 0));
  const startMs = Date.parse(report.forecastWeek.start);
  const rows = report.forecast
    .map((f) => {
      const days = f.dailyP50Gpus
        .map((v, i) => `${weekday(startMs, i)} ${v === null ? '–' : v.toFixed(1)}`)
        .join(' · ');
      return `<tr><td style="${LABEL_CELL}">${escapeHtml(f.classId)}</td><td style="padding:4px 0">${htmlBar(pct(f.meanP50Gpus ?? 0, max), BAR_COLORS.forecast)}<div style="font-size:11px;color:#6b7280;overflow-wrap:anywhere">p50 by day: ${escapeHtml(days)}</div><div class="coverage" style="font-size:11px;color:#6b7280;overflow-wrap:anywhere">${escapeHtml(forecastCoverage(f))}</div></td><td style="${VALUE_CELL}">${escapeHtml(gpus(f.meanP50Gpus))}<br><span style="color:#6b7280;font-size:11px">${f.peakP90Gpus === null ? '' : `peak p90 ${f.peakP90Gpus.toFixed(1)}`}</span></td></tr>`;
    })
    .join('');
  return chart('forecast', `Demand forecast for the week of ${span} (mean p50 GPUs)`, rows);
}

function recommendationsList(report: WeeklyReport): string {
  if (report.recommendations.length === 0)
    return '<h2 style="font-size:16px;margin:16px 0 8px">Top recommendations</h2><p style="font-size:13px">Nothing to recommend this week.</p>';
  const items = report.recommendations
    .map(
      (r) =>
        `<li style="margin:0 0 6px;word-break:break-word"><strong>${escapeHtml(usd(r.weeklySavingUsd))}/week</strong> · ${escapeHtml(r.lever)} <code>${escapeHtml(r.target)}</code>: ${escapeHtml(r.reason)}</li>`,
    )
    .join('');
  return `<h2 style="font-size:16px;margin:16px 0 8px">Top recommendations</h2><ol id="recommendations" style="font-size:13px;padding-left:20px;margin:0">${items}</ol>`;
}

/** The bill section, only when a bill covers the week: each day and account with its variance explained. */
function reconciliationList(report: WeeklyReport): string {
  if (!report.reconciliation) return '';
  const items = reconciliationLines(report.reconciliation)
    .map((line) => `<li style="margin:0 0 6px;word-break:break-word">${escapeHtml(line)}</li>`)
    .join('');
  return `<h2 style="font-size:16px;margin:16px 0 8px">Attributed cost against the bill</h2><ul id="reconciliation" style="font-size:13px;padding-left:20px;margin:0">${items}</ul>`;
}

export function reportSubject(report: WeeklyReport): string {
  return `GPU savings report, week of ${day(report.weekStart)}: ${usd(report.totalSpendUsd)} spent, ${usd(report.savingsDoneUsd)} saved`;
}

/** The report as an HTML document: the e-mail's HTML part and, unchanged, the CLI's standalone page. */
export function renderReportHtml(report: WeeklyReport): string {
  const body = [
    `<h1 style="font-size:20px;margin:0 0 4px">GPU savings report</h1><p style="font-size:13px;color:#6b7280;margin:0 0 16px">Week of ${escapeHtml(day(report.weekStart))} to ${escapeHtml(day(report.weekEnd))} (UTC)</p>`,
    headline(report),
    ownerChart(
      'spend-by-team',
      'Spend by team',
      report.spendByTeam,
      BAR_COLORS.spend,
      'No attributed spend this week.',
      gpuUseText,
    ),
    ownerChart(
      'spend-by-project',
      'Spend by project',
      report.spendByProject,
      BAR_COLORS.spend,
      'No attributed spend this week.',
    ),
    savingsCharts(report),
    ownerChart(
      'idle-waste',
      'Idle waste by team',
      report.idleByTeam,
      BAR_COLORS.idle,
      'No idle GPU time this week.',
    ),
    forecastChart(report),
    recommendationsList(report),
    reconciliationList(report),
    '<p style="font-size:11px;color:#9ca3af;margin:24px 0 0">Money is attributed cost (FOCUS EffectiveCost); savings follow the ledger: what the fleet would have cost without each action, less what it cost.</p>',
  ].join('');
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(reportSubject(report))}</title></head><body style="margin:0;padding:0;background:#f3f4f6;${FONT};color:#111827"><table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr><td align="center" style="padding:16px 8px"><table role="presentation" id="report" width="100%" cellpadding="0" cellspacing="0" style="max-width:${REPORT_MAX_WIDTH_PX}px;background:#ffffff;table-layout:fixed"><tr><td style="padding:20px 16px">${body}</td></tr></table></td></tr></table></body></html>`;
}
