// How bench:simulate scores its runs at each late price P. Kept out of the bench so a test can reach it without
// replaying a trace (the bench runs as soon as it is imported).

/** What the tables need of a run (whole runs stay in their worker). */
export interface RunFigures {
  costUsd: bigint;
  latePenaltyUsd: bigint;
  penalizedCostUsd: bigint;
  /** The P the run's scenario was built with: its `latePenaltyUsd` is at this P. */
  latePenaltyMultiplier: number;
  lateGpuHours: number;
}

/**
 * One grid point's run. `decidedAt` is the P the policy priced its decisions by; it is absent for a policy
 * whose decisions do not read P, whose one run then stands for every P.
 */
export interface GridRun {
  policy: string;
  label: string;
  decidedAt?: number;
  run: RunFigures;
}

/** A run's penalized cost at P, micro-dollars: its bill does not move with P, its penalty is linear in it. */
export function penalizedAt(run: RunFigures, p: number): number {
  if (p === run.latePenaltyMultiplier) return Number(run.penalizedCostUsd);
  // At P = 0 the run's penalty is 0 whatever its late GPU-hours: there is nothing to scale from.
  if (run.latePenaltyMultiplier === 0)
    throw new Error(`a run scored at P = 0 cannot be re-scored at P = ${p}`);
  return Number(run.costUsd) + (p * Number(run.latePenaltyUsd)) / run.latePenaltyMultiplier;
}

/**
 * The run that stands for a grid point at P: the one that decided at P when the policy reads P, else its one
 * run. A policy that reads P and has no run at P throws rather than lend another P's run, whose decisions
 * would be priced wrong.
 */
export function runAt(runs: readonly GridRun[], policy: string, label: string, p: number): RunFigures {
  const found = runs.find(
    (r) => r.policy === policy && r.label === label && (r.decidedAt === undefined || r.decidedAt === p),
  );
  if (!found) throw new Error(`no run of ${policy} (${label}) that decided at P = ${p}`);
  return found.run;
}

/** The P at which a grid point is run: every P when its decisions read P, else the headline's alone. */
export function penaltiesToRun(
  readsPenalty: boolean,
  penalties: readonly number[],
  headline: number,
): number[] {
  return readsPenalty ? [...penalties] : [headline];
}

/**
 * The optimizer ÷ the best peer at P, each policy at its label in `labels` and scored by its run at P, and
 * which peer that is (the peers' order can change with P).
 */
export function optimizerVsBestPeerAt(
  runs: readonly GridRun[],
  labels: Readonly<Record<string, string>>,
  peers: readonly string[],
  p: number,
): { ratio: number; bestPeer: string } {
  const cost = (policy: string) => penalizedAt(runAt(runs, policy, labels[policy]!, p), p);
  const bestPeer = peers.reduce((a, b) => (cost(a) <= cost(b) ? a : b));
  return { ratio: cost('optimizer') / cost(bestPeer), bestPeer };
}
