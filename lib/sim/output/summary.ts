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
  /** The bill (same as `billUsd`; kept for readers of schema 1). */
  costUsd: string;
  billUsd: string;
  /** P × late GPU-hours. */
  latePenaltyUsd: string;
  /** The headline: bill + P × late GPU-hours. */
  penalizedCostUsd: string;
  costPerServedGpuHourUsd: string;
  /** Penalized saving against all on-demand sized to the peak, in percent (negative: dearer). */
  savingVsOnDemandPct: number | null;
  /** Penalized cost over the oracle's floor (≥ 1 for every policy; the oracle's own fleet is rounded up). */
  ratioToOracle: number | null;
  demandGpuHours: number;
  /** GPU-hours served on time by the held fleet. */
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
  /** P: a late GPU-hour costs this many on-demand GPU-hours of the class's cheapest pool. */
  penaltyMultiplier: number;
  /** The exact floor the ratios are to: dollars, how it was solved (MIP or the LP relaxation's bound). */
  /** gap: the oracle's plan, as the engine bills it, over the floor − 1 (the exact optimum lies between). */
  oracle: { floorUsd: string; method: string; gap: number; notes: string[] } | null;
  /** Solver fallbacks and notes of the run. */
  log: string[];
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
  /** The optimizer's penalized cost over the cheapest peer's; below 1 is a saving. */
  optimizerVsBestPeer: { bestPeer: string; ratio: number } | null;
  /** The same, under its schema-1 name. */
  optimizerVsBestOther: { bestOther: string; ratio: number } | null;
  /** The last hours through the real runs on the embedded DynamoDB (null when not asked for). */
  system: SystemSummary | null;
}

const round = (x: number, places = 2) => Math.round(x * 10 ** places) / 10 ** places;

/** The bill per GPU-hour demanded (late work included: it was paid for too). */
export function costPerGpuHour(run: PolicyRun): bigint {
  return run.demandGpuHours > 0 ? (run.costUsd * 1000n) / BigInt(Math.round(run.demandGpuHours * 1000)) : 0n;
}

export function summarize(result: SimulationResult): SimulationSummary {
  const { scenario, runs } = result;
  const baseline = runs.find((r) => r.name === BASELINE_POLICY);
  const floorMicros = result.oracle ? result.oracle.floorUsd * 1e6 : undefined;
  const policies = runs.map((r): PolicySummary => ({
    name: r.name,
    description: r.description,
    costUsd: formatUsd(r.costUsd),
    billUsd: formatUsd(r.costUsd),
    latePenaltyUsd: formatUsd(r.latePenaltyUsd),
    penalizedCostUsd: formatUsd(r.penalizedCostUsd),
    costPerServedGpuHourUsd: formatUsd(costPerGpuHour(r)),
    savingVsOnDemandPct: baseline
      ? round(100 * (1 - Number(r.penalizedCostUsd) / Number(baseline.penalizedCostUsd)), 1)
      : null,
    ratioToOracle:
      floorMicros !== undefined && floorMicros > 0
        ? round(Number(r.penalizedCostUsd) / floorMicros, 3)
        : null,
    demandGpuHours: round(r.demandGpuHours, 1),
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
  const best = others.sort((a, b) => (a.penalizedCostUsd < b.penalizedCostUsd ? -1 : 1))[0];
  const vsBest =
    optimizer && best ? round(Number(optimizer.penalizedCostUsd) / Number(best.penalizedCostUsd), 3) : null;
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
    penaltyMultiplier: runs[0]?.latePenaltyMultiplier ?? 1,
    oracle: result.oracle
      ? {
          floorUsd: formatUsd(BigInt(Math.round(result.oracle.floorUsd * 1e6))),
          method: result.oracle.method,
          gap: Math.round(result.oracle.gap * 1e6) / 1e6,
          notes: result.oracle.notes,
        }
      : null,
    log: result.log ?? [],
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
    optimizerVsBestPeer: vsBest !== null ? { bestPeer: best!.name, ratio: vsBest } : null,
    optimizerVsBestOther: vsBest !== null ? { bestOther: best!.name, ratio: vsBest } : null,
    system: summarizeSystem(result),
  };
}
