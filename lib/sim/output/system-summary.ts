// The system replay in summary.json and the table: the real runs' figures beside the fast model's for the same hours.
import { formatUsd, formatUsdForDisplay, parseUsd } from '../../domain/money.ts';
import { toRfc3339 } from '../../domain/time.ts';
import type { PolicyRun } from '../engine.ts';
import type { SimulationResult } from '../simulate.ts';

export interface SystemSummary {
  from: string;
  to: string;
  hours: number;
  costUsd: string;
  servedGpuHours: number;
  lateGpuHours: number;
  idleGpuHours: number;
  interruptions: number;
  lostGpuHours: number;
  launches: number;
  releases: number;
  reclaimedNodes: number;
  refusedSpotInstances: number;
  /** Every hour's attribution rows sum to the simulated cloud's bill for it. */
  reconciled: boolean;
  mismatchedHours: string[];
  /** The same hours in the fast model: its optimizer policy and the oracle. */
  fastModel: { optimizerCostUsd: string; optimizerLateGpuHours: number; oracleCostUsd: string | null } | null;
  ratioToOracle: number | null;
  events: Record<string, number>;
  ingest: { records: number; failed: number; firstErrors: string[] };
  runs: { run: string; calls: number; seconds: number }[];
  reportSubject: string;
  seconds: number;
}

const round = (x: number, places = 1) => Math.round(x * 10 ** places) / 10 ** places;

function sliceOf(run: PolicyRun | undefined, fromMs: number): { cost: bigint; late: number } | undefined {
  if (!run) return undefined;
  const hours = run.hours.filter((h) => h.atMs >= fromMs);
  return {
    cost: hours.reduce((a, h) => a + h.costUsd, 0n),
    late: hours.reduce((a, h) => a + h.lateGpus, 0),
  };
}

export function summarizeSystem(result: SimulationResult): SystemSummary | null {
  const s = result.system;
  if (!s) return null;
  const optimizer = sliceOf(
    result.runs.find((r) => r.name === 'optimizer'),
    s.fromMs,
  );
  const oracle = sliceOf(
    result.runs.find((r) => r.name === 'oracle'),
    s.fromMs,
  );
  return {
    from: toRfc3339(s.fromMs),
    to: toRfc3339(s.toMs),
    hours: s.hours.length,
    costUsd: formatUsd(s.costUsd),
    servedGpuHours: round(s.servedGpuHours),
    lateGpuHours: round(s.lateGpuHours),
    idleGpuHours: round(s.idleGpuHours),
    interruptions: s.interruptions,
    lostGpuHours: round(s.lostGpuHours),
    launches: s.launches,
    releases: s.releases,
    reclaimedNodes: s.reclaimed,
    refusedSpotInstances: s.refusedInstances,
    reconciled: s.mismatchedHours.length === 0,
    mismatchedHours: s.mismatchedHours,
    fastModel: optimizer
      ? {
          optimizerCostUsd: formatUsd(optimizer.cost),
          optimizerLateGpuHours: round(optimizer.late),
          oracleCostUsd: oracle ? formatUsd(oracle.cost) : null,
        }
      : null,
    ratioToOracle: oracle && oracle.cost > 0n ? round(Number(s.costUsd) / Number(oracle.cost), 3) : null,
    events: s.events,
    ingest: s.ingest,
    runs: s.runs.map((r) => ({ ...r, seconds: round(r.seconds, 2) })),
    reportSubject: s.report.subject,
    seconds: round(s.seconds),
  };
}

const int = (x: number) => Math.round(x).toLocaleString('en-US');
const usd = (s: string) => formatUsdForDisplay(parseUsd(s));

/** The lines the table prints under the policies. */
export function renderSystemLines(s: SystemSummary): string[] {
  const runs = s.runs.map((r) => `${r.run} ${r.calls}× ${r.seconds.toFixed(1)} s`).join(', ');
  return [
    `Through the real runs on the embedded DynamoDB, ${s.from} → ${s.to} (${s.hours} h, ${s.seconds.toFixed(0)} s):`,
    `  cost ${usd(s.costUsd)}${s.ratioToOracle !== null ? ` = ${s.ratioToOracle.toFixed(3)} × oracle` : ''}` +
      (s.fastModel
        ? ` (fast model of the optimizer ${usd(s.fastModel.optimizerCostUsd)}${s.fastModel.oracleCostUsd ? `, oracle ${usd(s.fastModel.oracleCostUsd)}` : ''})`
        : ''),
    `  late ${int(s.lateGpuHours)} GPU-h (fast model ${s.fastModel ? int(s.fastModel.optimizerLateGpuHours) : '–'}), ` +
      `${int(s.interruptions)} interruptions (${int(s.lostGpuHours)} GPU-h lost), ${int(s.launches)} launches, ` +
      `${int(s.releases)} releases, ${int(s.reclaimedNodes)} idle nodes reclaimed, ${int(s.refusedSpotInstances)} spot launches refused`,
    `  ${s.ingest.records.toLocaleString('en-US')} events ingested (${s.ingest.failed} failed); attribution ${s.reconciled ? 'reconciles with the cloud bill every hour' : `does NOT reconcile in ${s.mismatchedHours.length} hour(s)`}`,
    `  runs: ${runs}`,
  ];
}
