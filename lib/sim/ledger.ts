// The savings ledger of a simulated run: per day and lever, what the fleet would have cost without the lever and with it.
import { ledgerEntryId } from '../attribution/ledger.ts';
import type { LedgerEntry, Lever } from '../domain/ledger.ts';
import { DAY_MS, HOUR_MS, dayStart, toRfc3339 } from '../domain/time.ts';
import type { PolicyRun } from './engine.ts';
import type { Scenario } from './scenario.ts';

interface DayTotals {
  reservedUsd: bigint;
  reservedAtOnDemandUsd: bigint;
  spotUsd: bigint;
  spotAtOnDemandUsd: bigint;
  costUsd: bigint;
  baselineUsd: bigint;
}

/**
 * One entry per day and lever, by the one rule (saving = counterfactual − actual):
 * commitment — reserved instance-hours at on-demand price vs their reserved price; spot-move — spot
 * instance-hours at on-demand price vs the spot price paid; rebalance — the rest of the gap to the all-on-demand
 * peak fleet (sizing to forecast demand, releasing idle capacity). The three sum to the baseline's cost minus
 * the run's cost, exactly.
 */
export function simulatedLedger(scenario: Scenario, run: PolicyRun, baseline: PolicyRun): LedgerEntry[] {
  const pools = new Map(scenario.pools.map((p) => [p.pool.id, p]));
  const days = new Map<number, DayTotals>();
  const day = (hour: number) => {
    const key = dayStart(scenario.startMs + hour * HOUR_MS);
    let d = days.get(key);
    if (!d) {
      d = {
        reservedUsd: 0n,
        reservedAtOnDemandUsd: 0n,
        spotUsd: 0n,
        spotAtOnDemandUsd: 0n,
        costUsd: 0n,
        baselineUsd: 0n,
      };
      days.set(key, d);
    }
    return d;
  };
  for (const line of run.bill) {
    const d = day(line.hour);
    d.costUsd += line.costUsd;
    if (line.kind !== 'held') continue;
    const onDemand = (pools.get(line.poolId)?.usdPerHour['on-demand'] ?? 0n) * BigInt(line.instances);
    if (line.option === 'reserved') {
      d.reservedUsd += line.costUsd;
      d.reservedAtOnDemandUsd += onDemand;
    } else if (line.option === 'spot') {
      d.spotUsd += line.costUsd;
      d.spotAtOnDemandUsd += onDemand;
    }
  }
  for (const line of baseline.bill) day(line.hour).baselineUsd += line.costUsd;

  const entries: LedgerEntry[] = [];
  for (const [startMs, d] of [...days].sort(([a], [b]) => a - b)) {
    const period = { periodStart: toRfc3339(startMs), periodEnd: toRfc3339(startMs + DAY_MS) };
    const entry = (
      lever: Lever,
      target: string,
      reason: string,
      counterfactualCostUsd: bigint,
      actualCostUsd: bigint,
    ) =>
      entries.push({
        entryId: ledgerEntryId(lever, target, startMs),
        at: toRfc3339(startMs),
        lever,
        target,
        reason,
        mode: 'enforce',
        status: 'done',
        counterfactualCostUsd,
        actualCostUsd,
        ...period,
      });
    const commitmentSaving = d.reservedAtOnDemandUsd - d.reservedUsd;
    const spotSaving = d.spotAtOnDemandUsd - d.spotUsd;
    if (d.reservedUsd > 0n) {
      entry(
        'commitment',
        'reserved-fleet',
        'committed instances billed at the reserved rate instead of on-demand',
        d.reservedAtOnDemandUsd,
        d.reservedUsd,
      );
    }
    if (d.spotUsd > 0n) {
      entry(
        'spot-move',
        'spot-fleet',
        'interruptible demand served on spot instead of on-demand',
        d.spotAtOnDemandUsd,
        d.spotUsd,
      );
    }
    // What is left of the gap to the peak-sized on-demand fleet comes from holding only what forecast demand needs.
    entry(
      'rebalance',
      'fleet-size',
      'capacity sized to the forecast hour by hour instead of to the peak',
      d.baselineUsd - commitmentSaving - spotSaving,
      d.costUsd,
    );
  }
  return entries;
}
