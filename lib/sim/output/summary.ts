// The figures of a simulation per policy, and summary.json: what the table, the report and machines read.
import { avoidedCostUsd } from '../../domain/ledger.ts';
import { formatUsd, sumUsd } from '../../domain/money.ts';
import { toRfc3339 } from '../../domain/time.ts';
import type { PolicyRun } from '../engine.ts';
import type { SimulationResult } from '../simulate.ts';
import { summarizeSystem, type SystemSummary } from './system-summary.ts';

export const BASELINE_POLICY = 'on-demand-peak';

export interface PolicySummary {
  name: string;
  description: string;
  costUsd: string;
  costPerServedGpuHourUsd: string;
  /** Saving against all on-demand sized to the peak, in percent (negative: dearer). */
  savingVsOnDemandPct: number | null;
  ratioToOracle: number | null;
  servedGpuHours: number;
  lateGpuHours: number;
  interruptions: number;
  lostGpuHours: number;
  idleGpuHours: number;
  idleGpuHoursReclaimed: number | null;
  reservedInstances: Record<string, number>;
  launches: number;
  releases: number;
}

export interface SimulationSummary {
  schemaVersion: '1';
  trace: string;
  from: string;
  to: string;
  billedHours: number;
  assumptions: string[];
  policies: PolicySummary[];
  /** The optimizer's bill attributed in FOCUS rows: reconciled = every hour's rows sum to its bill exactly. */
  attribution: { rows: number; totalUsd: string; reconciled: boolean; mismatchedHours: number } | null;
  /** The optimizer's savings ledger: entries and saving per lever (counterfactual − actual). */
  ledger: { entries: number; savingUsdByLever: Record<string, string> } | null;
  /** All cloud, all on-prem and hybrid (with `--architectures`). */
  architectures: {
    ownedUsdPerGpuHour: number;
    breakEvenUtilizationVsOnDemand: number;
    breakEvenUtilizationVsOptimizedCloud: number;
    assumptions: string[];
    results: {
      name: string;
      description: string;
      onPremGpus: number;
      costUsd: string;
      costPerServedGpuHourUsd: string;
      lateGpuHours: number;
      idleGpuHours: number;
    }[];
  } | null;
  /** The optimizer's cost over the cheapest other policy's (oracle excluded); below 1 is a saving. */
  optimizerVsBestOther: { bestOther: string; ratio: number } | null;
  /** The last hours through the real runs on the embedded DynamoDB (null when not asked for). */
  system: SystemSummary | null;
}

const round = (x: number, places = 2) => Math.round(x * 10 ** places) / 10 ** places;

export function costPerGpuHour(run: PolicyRun): bigint {
  return run.servedGpuHours > 0 ? (run.costUsd * 1000n) / BigInt(Math.round(run.servedGpuHours * 1000)) : 0n;
}

export function summarize(result: SimulationResult): SimulationSummary {
  const { scenario, runs } = result;
  const baseline = runs.find((r) => r.name === BASELINE_POLICY);
  const oracle = runs.find((r) => r.name === 'oracle');
  const policies = runs.map((r): PolicySummary => ({
    name: r.name,
    description: r.description,
    costUsd: formatUsd(r.costUsd),
    costPerServedGpuHourUsd: formatUsd(costPerGpuHour(r)),
    savingVsOnDemandPct: baseline ? round(100 * (1 - Number(r.costUsd) / Number(baseline.costUsd)), 1) : null,
    ratioToOracle:
      oracle && oracle.costUsd > 0n ? round(Number(r.costUsd) / Number(oracle.costUsd), 3) : null,
    servedGpuHours: round(r.servedGpuHours, 1),
    lateGpuHours: round(r.lateGpuHours, 1),
    interruptions: r.interruptions,
    lostGpuHours: round(r.lostGpuHours, 1),
    idleGpuHours: round(r.idleGpuHours, 1),
    idleGpuHoursReclaimed: baseline ? round(baseline.idleGpuHours - r.idleGpuHours, 1) : null,
    reservedInstances: Object.fromEntries(r.reserved),
    launches: r.launches,
    releases: r.releases,
  }));
  const optimizer = runs.find((r) => r.name === 'optimizer');
  const others = runs.filter((r) => r.name !== 'optimizer' && r.name !== 'oracle');
  const best = others.sort((a, b) => (a.costUsd < b.costUsd ? -1 : 1))[0];
  const savingByLever = new Map<string, bigint>();
  for (const e of result.ledger ?? [])
    savingByLever.set(e.lever, (savingByLever.get(e.lever) ?? 0n) + avoidedCostUsd(e));
  return {
    schemaVersion: '1',
    trace: scenario.name,
    from: toRfc3339(scenario.startMs + scenario.warmupHours * 3_600_000),
    to: toRfc3339(scenario.startMs + scenario.hours * 3_600_000),
    billedHours: scenario.hours - scenario.warmupHours,
    assumptions: scenario.assumptions,
    policies,
    attribution: result.attribution
      ? {
          rows: result.attribution.rows.length,
          totalUsd: formatUsd(sumUsd(result.attribution.rows.map((r) => r.EffectiveCost))),
          reconciled: result.attribution.mismatchedHours.length === 0,
          mismatchedHours: result.attribution.mismatchedHours.length,
        }
      : null,
    ledger: result.ledger
      ? {
          entries: result.ledger.length,
          savingUsdByLever: Object.fromEntries([...savingByLever].map(([k, v]) => [k, formatUsd(v)])),
        }
      : null,
    architectures: result.architectures
      ? {
          ownedUsdPerGpuHour: round(result.architectures.ownedUsdPerGpuHour, 4),
          breakEvenUtilizationVsOnDemand: round(result.architectures.breakEvenUtilizationVsOnDemand, 3),
          breakEvenUtilizationVsOptimizedCloud: round(
            result.architectures.breakEvenUtilizationVsOptimizedCloud,
            3,
          ),
          assumptions: result.architectures.assumptions,
          results: result.architectures.results.map((a) => ({
            name: a.name,
            description: a.description,
            onPremGpus: a.onPremGpus,
            costUsd: formatUsd(a.run.costUsd),
            costPerServedGpuHourUsd: formatUsd(costPerGpuHour(a.run)),
            lateGpuHours: round(a.run.lateGpuHours, 1),
            idleGpuHours: round(a.run.idleGpuHours, 1),
          })),
        }
      : null,
    optimizerVsBestOther:
      optimizer && best
        ? { bestOther: best.name, ratio: round(Number(optimizer.costUsd) / Number(best.costUsd), 3) }
        : null,
    system: summarizeSystem(result),
  };
}
