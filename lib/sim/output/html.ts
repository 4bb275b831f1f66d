// The simulation's HTML savings report: the table, each policy's cost against the oracle's, the fleet mix, forecast vs actual; laid out from a phone to a desktop.
import { weeklySavings } from '../../attribution/ledger.ts';
import { avoidedCostUsd } from '../../domain/ledger.ts';
import { formatUsdForDisplay, parseUsd } from '../../domain/money.ts';
import { HOUR_MS, toRfc3339 } from '../../domain/time.ts';
import { escapeHtml as esc } from '../../format/html.ts';
import type { SimulationResult } from '../simulate.ts';
import type { SimulationSummary } from './summary.ts';
import { renderSystemLines } from './system-summary.ts';
import { lineChart, stackedAreaChart, type LineSeries } from './svg.ts';

const COLORS: Record<string, string> = {
  optimizer: '#2563eb',
  oracle: '#111827',
  'on-demand-peak': '#dc2626',
  'reactive-on-demand': '#f59e0b',
  'spot-first': '#10b981',
  commitment: '#8b5cf6',
};
const OPTION_COLORS = {
  'on-prem': '#6b7280',
  reserved: '#8b5cf6',
  spot: '#10b981',
  'on-demand': '#f59e0b',
} as const;

export function renderHtmlReport(result: SimulationResult, summary: SimulationSummary): string {
  const { scenario, runs } = result;
  const xLabels: [string, string] = [summary.from.slice(0, 10), summary.to.slice(0, 10)];
  const relative = relativeToOracle(result, summary.from);
  const optimizer = runs.find((r) => r.name === 'optimizer');
  const mix = optimizer
    ? (Object.keys(OPTION_COLORS) as (keyof typeof OPTION_COLORS)[]).map((o) => ({
        name: o,
        color: OPTION_COLORS[o],
        values: optimizer.hours.map((h) => h.usedGpusByOption[o]),
      }))
    : [];
  const forecastByHour = new Map(result.optimizerForecast.map((f) => [f.hour, f.gpus]));
  const actual = (optimizer ?? runs[0]!).hours.map((h) => h.demandGpus);
  const forecast = (optimizer ?? runs[0]!).hours.map((h) => forecastByHour.get(h.hour) ?? 0);
  const rows = summary.policies.map((p) => ({
    ours: p.name === 'optimizer',
    cells: [
      p.name,
      formatUsdForDisplay(parseUsd(p.costUsd)),
      formatUsdForDisplay(parseUsd(p.costPerServedGpuHourUsd)),
      p.savingVsOnDemandPct === null ? '–' : `${p.savingVsOnDemandPct.toFixed(1)} %`,
      p.ratioToOracle?.toFixed(3) ?? '–',
      Math.round(p.lateGpuHours).toLocaleString('en-US'),
      p.interruptions.toLocaleString('en-US'),
      Math.round(p.lostGpuHours).toLocaleString('en-US'),
      Math.round(p.idleGpuHours).toLocaleString('en-US'),
    ],
  }));
  const headline = summary.optimizerVsBestOther
    ? `<p class="headline">The optimizer cost <strong>${((1 - summary.optimizerVsBestOther.ratio) * 100).toFixed(1)} % ${summary.optimizerVsBestOther.ratio <= 1 ? 'less' : 'more'}</strong> than the best other policy (${esc(summary.optimizerVsBestOther.bestOther)}) and ${(summary.policies.find((p) => p.name === 'optimizer')?.ratioToOracle ?? 0).toFixed(3)} × the oracle's floor.</p>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>gpu-optimizer simulation: ${esc(scenario.name)}</title>
<style>
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0 auto;max-width:860px;padding:24px;color:#111827;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}.sub{color:#6b7280;margin:0 0 16px}
.headline{font-size:16px;background:#eff6ff;border-left:4px solid #2563eb;padding:10px 14px}
.table-wrap{overflow-x:auto}table{border-collapse:collapse;width:100%;font-size:13px}th,td{padding:6px 6px;border-bottom:1px solid #e5e7eb;text-align:right}
td{white-space:nowrap}td.text{white-space:normal;text-align:left;overflow-wrap:anywhere}thead th{vertical-align:bottom;font-weight:600}
th[scope=row],thead th:first-child{text-align:left;overflow-wrap:anywhere}tr.ours{background:#eff6ff;font-weight:600}
figure.chart{margin:12px 0}figcaption{font-weight:600;font-size:14px;margin-bottom:4px}
/* Narrow screens: each row becomes a card of label–value lines, so no column hides behind a scroll. */
@media (max-width:720px){body{padding:16px 12px}table.cards thead{display:none}table.cards,table.cards tbody,table.cards tr,table.cards th,table.cards td{display:block;width:auto}
table.cards tr{border:1px solid #e5e7eb;border-radius:6px;margin:0 0 8px;padding:4px 8px}table.cards th[scope=row]{border:0;padding:4px 0;font-size:14px}
table.cards td{border:0;padding:2px 0;display:flex;justify-content:space-between;gap:12px;white-space:normal;text-align:right}table.cards td::before{content:attr(data-label);color:#6b7280;text-align:left;font-weight:400}
table.cards td.text{display:block}table.cards td.text::before{display:block}}
ul.assumptions{font-size:13px;color:#374151}
</style></head><body>
<h1>GPU capacity simulation: ${esc(scenario.name)}</h1>
<p class="sub">${esc(summary.from)} → ${esc(summary.to)} · ${summary.billedHours.toLocaleString('en-US')} billed hours · generated ${esc(toRfc3339(Date.now()))}</p>
${headline}
<h2>Policies side by side</h2>
${table(['policy', 'cost', '$/GPU-h', 'saving vs on-demand', '× oracle', 'late GPU-h', 'interruptions', 'lost GPU-h', 'idle GPU-h'], rows)}
<h2>Cost over time, against the oracle</h2>
${relative}
${mix.length ? `<h2>Fleet mix of the optimizer</h2>${stackedAreaChart(mix, { title: 'GPUs in use by purchase option', yLabel: 'GPUs', xLabels })}` : ''}
<h2>Forecast vs actual</h2>
${lineChart(
  [
    { name: 'actual demand', values: actual, color: '#111827' },
    { name: 'planned for (forecast)', values: forecast, color: '#2563eb', dashed: true },
  ],
  { title: 'GPUs demanded and what the optimizer planned for', yLabel: 'GPUs', xLabels },
)}
${ledgerSection(result)}
${systemSection(result, summary)}
${architecturesSection(summary)}
<h2>Assumptions</h2>
<ul class="assumptions">${summary.assumptions.map((a) => `<li>${esc(a)}</li>`).join('')}</ul>
</body></html>
`;
}

function ledgerSection(result: SimulationResult): string {
  const entries = result.ledger ?? [];
  if (entries.length === 0) return '';
  const weeks = weeklySavings(entries);
  const weekRows = weeks.map((w) => ({
    cells: [w.weekStart.slice(0, 10), w.lever, formatUsdForDisplay(w.doneUsd), String(w.entries)],
  }));
  const entryRows = entries.map((e) => ({
    id: e.entryId,
    cells: [
      e.entryId,
      e.reason,
      formatUsdForDisplay(e.counterfactualCostUsd),
      formatUsdForDisplay(e.actualCostUsd),
      formatUsdForDisplay(avoidedCostUsd(e)),
    ],
  }));
  return `<h2>Where the savings come from</h2>
<p class="sub">The optimizer's savings ledger against the all-on-demand fleet sized to the peak: per week and lever, then every entry (saving = counterfactual − actual).</p>
${table(['week', 'lever', 'saved', 'entries'], weekRows)}
<details><summary>All ${entries.length} ledger entries</summary>${table(['entry', 'reason', 'counterfactual', 'actual', 'saved'], entryRows, [1])}</details>`;
}

function systemSection(result: SimulationResult, summary: SimulationSummary): string {
  const s = summary.system;
  if (!s || !result.system) return '';
  const hourRows = result.system.hours.map((h) => ({
    cells: [
      toRfc3339(h.hourStartMs),
      Math.round(h.demandGpus).toLocaleString('en-US'),
      String(h.liveNodes),
      Math.round(h.lateGpus).toLocaleString('en-US'),
      formatUsdForDisplay(h.billUsd),
      formatUsdForDisplay(h.attributedUsd),
    ],
  }));
  const lines = renderSystemLines(s).map((l) => `<li>${esc(l.trim())}</li>`);
  return `<h2>Through the real runs</h2>
<p class="sub">The last ${s.hours} hours again, this time through the deployed runs (ingest, interruption, forecast, optimize, reclaim, attribute, report) over the embedded DynamoDB, a simulated cloud and clock. The weekly e-mail they compose is in system-report.html.</p>
<ul>${lines.join('')}</ul>
<details><summary>Every hour: the cloud's bill and what attribution split</summary>${table(['hour', 'demand GPUs', 'nodes', 'late GPU-h', 'bill', 'attributed'], hourRows)}</details>`;
}

function architecturesSection(summary: SimulationSummary): string {
  const a = summary.architectures;
  if (!a) return '';
  const rows = a.results.map((r) => ({
    cells: [
      r.name,
      formatUsdForDisplay(parseUsd(r.costUsd)),
      formatUsdForDisplay(parseUsd(r.costPerServedGpuHourUsd)),
      r.onPremGpus.toLocaleString('en-US'),
      Math.round(r.lateGpuHours).toLocaleString('en-US'),
      r.description,
    ],
  }));
  return `<h2>Own, rent or both</h2>
<p>Owning a GPU costs $${a.ownedUsdPerGpuHour.toFixed(3)} per hour, used or not: it pays off above <strong>${(a.breakEvenUtilizationVsOnDemand * 100).toFixed(0)} %</strong> utilization against on-demand and above <strong>${(a.breakEvenUtilizationVsOptimizedCloud * 100).toFixed(0)} %</strong> against the optimized cloud.</p>
${table(['architecture', 'cost', '$/GPU-h', 'owned GPUs', 'late GPU-h', 'what it is'], rows, [5])}
<ul class="assumptions">${a.assumptions.map((x) => `<li>${esc(x)}</li>`).join('')}</ul>`;
}

interface TableRow {
  cells: readonly string[];
  /** The row's id (a ledger entry links to it). */
  id?: string;
  /** The optimizer's own row, highlighted. */
  ours?: boolean;
}

/**
 * A table whose first cell heads its row. Each cell carries its column's name, so on a narrow screen the rows
 * turn into cards of "name value" lines (CSS above) instead of columns hidden behind a scroll bar; `textColumns`
 * are prose that wraps.
 */
function table(
  headers: readonly string[],
  rows: readonly TableRow[],
  textColumns: readonly number[] = [],
): string {
  const body = rows
    .map((row) => {
      const [first, ...rest] = row.cells;
      const cells = rest
        .map((cell, i) => {
          const column = i + 1;
          const cls = textColumns.includes(column) ? ' class="text"' : '';
          return `<td${cls} data-label="${esc(headers[column] ?? '')}">${esc(cell)}</td>`;
        })
        .join('');
      const attrs = `${row.id ? ` id="${esc(row.id)}"` : ''}${row.ours ? ' class="ours"' : ''}`;
      return `<tr${attrs}><th scope="row">${esc(first ?? '')}</th>${cells}</tr>`;
    })
    .join('\n');
  return `<div class="table-wrap"><table class="cards"><thead><tr>${headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>
${body}
</tbody></table></div>`;
}

/** Hours before the oracle has spent this share of its total are left out: a ratio of two near-zero sums is noise. */
const RELATIVE_FROM_SHARE = 0.01;

/**
 * Each policy's cumulative cost as a percentage above the oracle's cumulative cost: the policies' totals differ
 * by a few percent while their sums grow a hundredfold, so cumulative dollars draw them on top of each other.
 * Every line is named at its end with its value.
 */
function relativeToOracle(result: SimulationResult, fromRfc3339: string): string {
  const cumulative = (hours: readonly { costUsd: bigint }[]) => {
    let sum = 0;
    return hours.map((h) => (sum += Number(h.costUsd) / 1e6));
  };
  const oracle = result.runs.find((r) => r.name === 'oracle');
  const fromMs = Date.parse(fromRfc3339);
  const labels = (start: number, end: number): [string, string] => [
    toRfc3339(fromMs + start * HOUR_MS).slice(0, 10),
    toRfc3339(fromMs + end * HOUR_MS).slice(0, 10),
  ];
  if (!oracle) {
    // Without the oracle there is no floor to compare with: cumulative dollars, named at their ends.
    const series: LineSeries[] = result.runs.map((r) => ({
      name: r.name,
      color: COLORS[r.name] ?? '#64748b',
      values: cumulative(r.hours),
    }));
    return lineChart(series, {
      title: 'Cumulative cost per policy',
      yLabel: 'USD',
      endLabels: true,
      xLabels: labels(0, result.runs[0]?.hours.length ?? 0),
    });
  }
  const floor = cumulative(oracle.hours);
  const total = floor[floor.length - 1] ?? 0;
  const start = Math.max(
    0,
    floor.findIndex((v) => v >= total * RELATIVE_FROM_SHARE),
  );
  const series: LineSeries[] = result.runs.map((r) => {
    const own = cumulative(r.hours);
    return {
      name: r.name,
      color: COLORS[r.name] ?? '#64748b',
      dashed: r.name === 'oracle',
      values: floor.slice(start).map((f, i) => (f > 0 ? ((own[start + i] ?? 0) / f - 1) * 100 : 0)),
    };
  });
  return lineChart(series, {
    title: "Each policy's cost so far, above the oracle's (the floor)",
    yLabel: '% above the oracle',
    formatY: (v) => `${v >= 0 ? '+' : ''}${v.toFixed(Math.abs(v) < 10 ? 1 : 0)} %`,
    endLabels: true,
    xLabels: labels(start, floor.length),
  });
}
