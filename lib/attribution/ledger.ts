// Savings ledger helpers: one rule builds every lever's entry, and entries sum per week and lever.
import type { Lever, LedgerEntry } from '../domain/ledger.ts';
import { avoidedCostUsd } from '../domain/ledger.ts';
import { costForSeconds, type MicroUsd } from '../domain/money.ts';
import type { Mode } from '../domain/plan.ts';
import { describeRefusal, type Refusal } from '../domain/refusal.ts';
import { hourStart, toRfc3339, weekStart } from '../domain/time.ts';

export interface LedgerAction {
  lever: Lever;
  target: string;
  reason: string;
  mode: Mode;
  status: LedgerEntry['status'];
  atMs: number;
  /** The period the claim covers. */
  periodStartMs: number;
  periodEndMs: number;
  /** What the fleet paid per hour for the target without the action, and what it pays with it. */
  counterfactualUsdPerHour: MicroUsd;
  actualUsdPerHour: MicroUsd;
  /** The instant that names the action (a mark's time), when it is not the period's start. */
  idMs?: number;
}

/** The deterministic id of an action: replaying it yields the same id, so the store refuses it the second time. */
export function ledgerEntryId(lever: Lever, target: string, atMs: number): string {
  return `${lever}:${target}:${toRfc3339(atMs)}`;
}

/** Builds an entry by the one rule for every lever: cost over the period without the action and with it. */
export function ledgerEntry(action: LedgerAction): LedgerEntry {
  const seconds = Math.max(0, Math.round((action.periodEndMs - action.periodStartMs) / 1000));
  return {
    entryId: ledgerEntryId(action.lever, action.target, action.idMs ?? action.periodStartMs),
    at: toRfc3339(action.atMs),
    lever: action.lever,
    target: action.target,
    reason: action.reason,
    mode: action.mode,
    status: action.status,
    counterfactualCostUsd: costForSeconds(action.counterfactualUsdPerHour, seconds),
    actualCostUsd: costForSeconds(action.actualUsdPerHour, seconds),
    periodStart: toRfc3339(action.periodStartMs),
    periodEnd: toRfc3339(action.periodEndMs),
  };
}

/**
 * The entry of a refused action: it saves nothing and says why. Named by lever, target, reason and hour, so a
 * guard that refuses the same node every run is recorded once an hour, not every five minutes.
 */
export function refusalEntry(action: {
  lever: Lever;
  target: string;
  mode: Mode;
  atMs: number;
  refusal: Refusal;
}): LedgerEntry {
  const at = toRfc3339(action.atMs);
  return {
    entryId: `${action.lever}:${action.target}:refused:${action.refusal.code}:${toRfc3339(hourStart(action.atMs))}`,
    at,
    lever: action.lever,
    target: action.target,
    reason: describeRefusal(action.refusal),
    mode: action.mode,
    status: 'refused',
    refusal: action.refusal,
    counterfactualCostUsd: 0n,
    actualCostUsd: 0n,
    periodStart: at,
    periodEnd: at,
  };
}

export interface WeeklySaving {
  weekStart: string;
  lever: Lever;
  /** Savings of actions carried out. */
  doneUsd: MicroUsd;
  /** Savings recommended but not carried out (recommend mode, or not yet done). */
  recommendedUsd: MicroUsd;
  entries: number;
  entryIds: string[];
}

/** Sums entries per ISO week (by the time of the action) and lever; failed actions count nothing. */
export function weeklySavings(entries: readonly LedgerEntry[]): WeeklySaving[] {
  const sums = new Map<string, WeeklySaving>();
  for (const e of entries) {
    const week = toRfc3339(weekStart(Date.parse(e.at)));
    const key = `${week}|${e.lever}`;
    const s = sums.get(key) ?? {
      weekStart: week,
      lever: e.lever,
      doneUsd: 0n,
      recommendedUsd: 0n,
      entries: 0,
      entryIds: [],
    };
    s.entries += 1;
    s.entryIds.push(e.entryId);
    if (e.status === 'done') s.doneUsd += avoidedCostUsd(e);
    else if (e.status === 'recommended') s.recommendedUsd += avoidedCostUsd(e);
    sums.set(key, s);
  }
  return [...sums.values()].sort((a, b) =>
    a.weekStart === b.weekStart ? (a.lever < b.lever ? -1 : 1) : a.weekStart < b.weekStart ? -1 : 1,
  );
}
