// The simulation's HTML savings report: the table, cost over time per policy, the fleet mix, forecast vs actual.
import { weeklySavings } from '../../attribution/ledger.ts';
import { avoidedCostUsd } from '../../domain/ledger.ts';
import { formatUsdForDisplay, parseUsd } from '../../domain/money.ts';
import { toRfc3339 } from '../../domain/time.ts';
import type { SimulationResult } from '../simulate.ts';
import type { SimulationSummary } from './summary.ts';
import { renderSystemLines } from './system-summary.ts';
import { escapeHtml as esc, lineChart, stackedAreaChart } from './svg.ts';

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
  const cumulative = runs.map((r) => {
    let sum = 0;
    return {
      name: r.name,
      color: COLORS[r.name] ?? '#64748b',
      dashed: r.name === 'oracle',
      values: r.hours.map((h) => (sum += Number(h.costUsd) / 1e6)),
    };
  });
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
  const rows = summary.policies
    .map(
      (p) =>
        `<tr${p.name === 'optimizer' ? ' class="ours"' : ''}><th scope="row">${esc(p.name)}</th><td>${formatUsdForDisplay(parseUsd(p.costUsd))}</td><td>${formatUsdForDisplay(parseUsd(p.costPerServedGpuHourUsd))}</td><td>${p.savingVsOnDemandPct === null ? '–' : `${p.savingVsOnDemandPct.toFixed(1)} %`}</td><td>${p.ratioToOracle?.toFixed(3) ?? '–'}</td><td>${Math.round(p.lateGpuHours).toLocaleString('en-US')}</td><td>${p.interruptions.toLocaleString('en-US')}</td><td>${Math.round(p.lostGpuHours).toLocaleString('en-US')}</td><td>${Math.round(p.idleGpuHours).toLocaleString('en-US')}</td></tr>`,
    )
    .join('\n');
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
.table-wrap{overflow-x:auto}table{border-collapse:collapse;width:100%;font-size:13px}th,td{padding:6px 8px;border-bottom:1px solid #e5e7eb;text-align:right;white-space:nowrap}
th[scope=row],thead th:first-child{text-align:left}tr.ours{background:#eff6ff;font-weight:600}
figure.chart{margin:12px 0}figcaption{font-weight:600;font-size:14px;margin-bottom:4px}
ul.assumptions{font-size:13px;color:#374151}
</style></head><body>
<h1>GPU capacity simulation: ${esc(scenario.name)}</h1>
<p class="sub">${esc(summary.from)} → ${esc(summary.to)} · ${summary.billedHours.toLocaleString('en-US')} billed hours · generated ${esc(toRfc3339(Date.now()))}</p>
${headline}
<h2>Policies side by side</h2>
<div class="table-wrap"><table><thead><tr><th>policy</th><th>cost</th><th>$/GPU-h</th><th>saving vs on-demand</th><th>× oracle</th><th>late GPU-h</th><th>interruptions</th><th>lost GPU-h</th><th>idle GPU-h</th></tr></thead>
<tbody>
${rows}
</tbody></table></div>
<h2>Cost over time</h2>
${lineChart(cumulative, { title: 'Cumulative cost per policy', yLabel: 'USD', xLabels })}
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
  const weekRows = weeks
    .map(
      (w) =>
        `<tr><th scope="row">${esc(w.weekStart.slice(0, 10))}</th><td>${esc(w.lever)}</td><td>${formatUsdForDisplay(w.doneUsd)}</td><td>${w.entries}</td></tr>`,
    )
    .join('\n');
  const entryRows = entries
    .map(
      (e) =>
        `<tr id="${esc(e.entryId)}"><th scope="row">${esc(e.entryId)}</th><td>${esc(e.reason)}</td><td>${formatUsdForDisplay(e.counterfactualCostUsd)}</td><td>${formatUsdForDisplay(e.actualCostUsd)}</td><td>${formatUsdForDisplay(avoidedCostUsd(e))}</td></tr>`,
    )
    .join('\n');
  return `<h2>Where the savings come from</h2>
<p class="sub">The optimizer's savings ledger against the all-on-demand fleet sized to the peak: per week and lever, then every entry (saving = counterfactual − actual).</p>
<div class="table-wrap"><table><thead><tr><th>week</th><th>lever</th><th>saved</th><th>entries</th></tr></thead><tbody>
${weekRows}
</tbody></table></div>
<details><summary>All ${entries.length} ledger entries</summary><div class="table-wrap"><table><thead><tr><th>entry</th><th>reason</th><th>counterfactual</th><th>actual</th><th>saved</th></tr></thead><tbody>
${entryRows}
</tbody></table></div></details>`;
}

function systemSection(result: SimulationResult, summary: SimulationSummary): string {
  const s = summary.system;
  if (!s || !result.system) return '';
  const hourRows = result.system.hours
    .map(
      (h) =>
        `<tr><th scope="row">${esc(toRfc3339(h.hourStartMs))}</th><td>${Math.round(h.demandGpus).toLocaleString('en-US')}</td><td>${h.liveNodes}</td><td>${Math.round(h.lateGpus).toLocaleString('en-US')}</td><td>${formatUsdForDisplay(h.billUsd)}</td><td>${formatUsdForDisplay(h.attributedUsd)}</td></tr>`,
    )
    .join('\n');
  const lines = renderSystemLines(s).map((l) => `<li>${esc(l.trim())}</li>`);
  return `<h2>Through the real runs</h2>
<p class="sub">The last ${s.hours} hours again, this time through the deployed runs (ingest, interruption, forecast, optimize, reclaim, attribute, report) over the embedded DynamoDB, a simulated cloud and clock. The weekly e-mail they compose is in system-report.html.</p>
<ul>${lines.join('')}</ul>
<details><summary>Every hour: the cloud's bill and what attribution split</summary><div class="table-wrap"><table><thead><tr><th>hour</th><th>demand GPUs</th><th>nodes</th><th>late GPU-h</th><th>bill</th><th>attributed</th></tr></thead><tbody>
${hourRows}
</tbody></table></div></details>`;
}

function architecturesSection(summary: SimulationSummary): string {
  const a = summary.architectures;
  if (!a) return '';
  const rows = a.results
    .map(
      (r) =>
        `<tr><th scope="row">${esc(r.name)}</th><td>${formatUsdForDisplay(parseUsd(r.costUsd))}</td><td>${formatUsdForDisplay(parseUsd(r.costPerServedGpuHourUsd))}</td><td>${r.onPremGpus.toLocaleString('en-US')}</td><td>${Math.round(r.lateGpuHours).toLocaleString('en-US')}</td><td>${esc(r.description)}</td></tr>`,
    )
    .join('\n');
  return `<h2>Own, rent or both</h2>
<p>Owning a GPU costs $${a.ownedUsdPerGpuHour.toFixed(3)} per hour, used or not: it pays off above <strong>${(a.breakEvenUtilizationVsOnDemand * 100).toFixed(0)} %</strong> utilization against on-demand and above <strong>${(a.breakEvenUtilizationVsOptimizedCloud * 100).toFixed(0)} %</strong> against the optimized cloud.</p>
<div class="table-wrap"><table><thead><tr><th>architecture</th><th>cost</th><th>$/GPU-h</th><th>owned GPUs</th><th>late GPU-h</th><th>what it is</th></tr></thead><tbody>
${rows}
</tbody></table></div>
<ul class="assumptions">${a.assumptions.map((x) => `<li>${esc(x)}</li>`).join('')}</ul>`;
}
