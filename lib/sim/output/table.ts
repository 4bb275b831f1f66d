// The terminal table of a simulation: one row per policy.
import { alignColumns } from '../../cli/columns.ts';
import { formatUsdForDisplay, parseUsd } from '../../domain/money.ts';
import type { SimulationSummary } from './summary.ts';
import { renderSystemLines } from './system-summary.ts';

const int = (x: number) => Math.round(x).toLocaleString('en-US');

const FLOOR_METHOD: Record<string, string> = {
  mip: 'exact MIP optimum',
  'mip-bound': "the run MIP's proved bound",
  'lp-relaxation': 'LP relaxation of the exact run model, a bound no fleet beats',
};

export function renderTable(summary: SimulationSummary): string {
  const header = [
    'policy',
    'penalized',
    'bill',
    '$/GPU-h',
    'vs on-demand',
    '× oracle',
    'late GPU-h',
    'interrupts',
    'lost GPU-h',
    'idle GPU-h',
    'idle reclaimed',
  ];
  const rows = summary.policies.map((p) => [
    p.name,
    formatUsdForDisplay(parseUsd(p.penalizedCostUsd)),
    formatUsdForDisplay(parseUsd(p.billUsd)),
    formatUsdForDisplay(parseUsd(p.costPerServedGpuHourUsd)),
    p.savingVsOnDemandPct === null
      ? '–'
      : `${p.savingVsOnDemandPct > 0 ? '−' : '+'}${Math.abs(p.savingVsOnDemandPct).toFixed(1)} %`,
    p.ratioToOracle === null ? '–' : p.ratioToOracle.toFixed(3),
    int(p.lateGpuHours),
    int(p.interruptions),
    int(p.lostGpuHours),
    int(p.idleGpuHours),
    p.idleGpuHoursReclaimed === null ? '–' : int(p.idleGpuHoursReclaimed),
  ]);
  const out = [
    `${summary.trace}: ${summary.from} → ${summary.to} (${summary.billedHours} billed hours)`,
    `penalized = bill + P × late GPU-hours, P = ${summary.penaltyMultiplier} × an on-demand GPU-hour of the class's cheapest pool` +
      (summary.oracle
        ? `; × oracle is to the floor ${formatUsdForDisplay(parseUsd(summary.oracle.floorUsd))} (${FLOOR_METHOD[summary.oracle.method] ?? summary.oracle.method}; the oracle's plan ${(100 * summary.oracle.gap).toFixed(2)} % above it)`
        : ''),
    '',
    ...alignColumns(header, rows),
    '',
  ];
  if (summary.optimizerVsBestPeer) {
    const { bestPeer, ratio } = summary.optimizerVsBestPeer;
    out.push(
      `optimizer vs the best peer (${bestPeer}): ${ratio.toFixed(3)} × its penalized cost (${(Math.abs(1 - ratio) * 100).toFixed(1)} % ${ratio <= 1 ? 'below' : 'above'})`,
    );
  }
  if (summary.log.length > 0) out.push('', 'Log:', ...summary.log.map((l) => `  - ${l}`));
  if (summary.system) out.push('', ...renderSystemLines(summary.system));
  if (summary.architectures) {
    const a = summary.architectures;
    out.push('', 'Architectures:');
    for (const r of a.results) {
      out.push(
        `  ${r.name.padEnd(12)} ${formatUsdForDisplay(parseUsd(r.costUsd)).padStart(16)}  ${formatUsdForDisplay(parseUsd(r.costPerServedGpuHourUsd)).padStart(7)}/GPU-h  ${int(r.onPremGpus).padStart(6)} owned GPUs  late ${int(r.lateGpuHours)} GPU-h  — ${r.description}`,
      );
    }
    out.push(
      `  owning a GPU costs $${a.ownedUsdPerGpuHour.toFixed(3)}/GPU-h: it pays off above ${(a.breakEvenUtilizationVsOnDemand * 100).toFixed(0)} % utilization against on-demand, ` +
        `above ${(a.breakEvenUtilizationVsOptimizedCloud * 100).toFixed(0)} % against the optimized cloud`,
      ...a.assumptions.map((x) => `  - ${x}`),
    );
  }
  out.push('', 'Assumptions:', ...summary.assumptions.map((a) => `  - ${a}`), '');
  return out.join('\n');
}
