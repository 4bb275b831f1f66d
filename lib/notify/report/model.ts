// The weekly savings report as data: spend by team and project, savings by lever, idle waste, next week's forecast, top recommendations.
import { totalsBy, type CostTotal } from '../../attribution/summary.ts';
import type { BillRow } from '../../attribution/bills/bill-row.ts';
import { weeklySavings } from '../../attribution/ledger.ts';
import { reconcile, type Reconciliation } from '../../attribution/reconcile.ts';
import type { AttributionRow } from '../../domain/attribution.ts';
import type { Forecast } from '../../domain/forecast.ts';
import { IDLE_OWNER } from '../../domain/labels.ts';
import { avoidedCostUsd, LEVERS, type LedgerEntry, type Lever } from '../../domain/ledger.ts';
import { costForSeconds, sumUsd, type MicroUsd } from '../../domain/money.ts';
import type { Plan } from '../../domain/plan.ts';
import { DAY_MS, dayStart, HOUR_MS, toRfc3339, weekStart } from '../../domain/time.ts';

export const WEEK_MS = 7 * DAY_MS;
/** How many weeks of savings the trend chart shows, the report's week last. */
export const TREND_WEEKS = 8;
export const TOP_RECOMMENDATIONS = 5;
export const TOP_OWNERS = 10;

export interface LeverSaving {
  lever: Lever;
  doneUsd: MicroUsd;
  recommendedUsd: MicroUsd;
  actions: number;
}

/** Next week is the one that starts as the report's week ends: the week the report is read in. */
export interface ClassForecast {
  classId: string;
  issuedAt: string;
  /** Hours of next week the forecast reaches (of 168): the report says so rather than fill the rest in. */
  coveredHours: number;
  /** Mean p50 GPUs over the hours covered, and the highest p90 hour; null when none of the week is covered. */
  meanP50Gpus: number | null;
  peakP90Gpus: number | null;
  /** Mean p50 per day of next week; null for a day beyond the forecast's horizon. */
  dailyP50Gpus: (number | null)[];
}

/** What span a class's forecast covers, said plainly: the full week, part of it, or none. */
export function forecastCoverage(f: ClassForecast): string {
  const issued = `issued ${f.issuedAt.slice(0, 16).replace('T', ' ')} UTC`;
  if (f.coveredHours >= WEEK_MS / HOUR_MS) return `covers the whole week (${issued})`;
  if (f.coveredHours === 0) return `reaches none of this week (${issued})`;
  return `covers ${f.coveredHours} of the week's 168 hours (${issued}); later days are not forecast`;
}

export interface Recommendation {
  source: 'ledger' | 'plan';
  lever: string;
  target: string;
  reason: string;
  /** What it would save over a week. */
  weeklySavingUsd: MicroUsd;
}

export interface WeeklyReport {
  weekStart: string;
  weekEnd: string;
  totalSpendUsd: MicroUsd;
  spendByTeam: CostTotal[];
  spendByProject: CostTotal[];
  idleWasteUsd: MicroUsd;
  idleByTeam: CostTotal[];
  savingsByLever: LeverSaving[];
  savingsDoneUsd: MicroUsd;
  savingsRecommendedUsd: MicroUsd;
  /** Savings done per week, oldest first, the report's week last. */
  savingsTrend: { weekStart: string; doneUsd: MicroUsd; recommendedUsd: MicroUsd }[];
  /** The coming week the forecast is read for: the week after the report's. */
  forecastWeek: { start: string; end: string };
  forecast: ClassForecast[];
  recommendations: Recommendation[];
  /** The week's attribution against the imported bill, per day and account; absent when no bill covers the week. */
  reconciliation?: Reconciliation;
}

export interface ReportInputs {
  weekStartMs: number;
  /** Attribution rows of the week. */
  attribution: readonly AttributionRow[];
  /** Ledger entries of the trend's weeks (TREND_WEEKS weeks up to the end of the report's week). */
  ledger: readonly LedgerEntry[];
  /** The latest forecast of each workload class. */
  forecasts: readonly Forecast[];
  /** Plans created in the week; the newest one's recommended actions are candidates. */
  plans: readonly Plan[];
  /** Imported bill rows of the week, and the variance that flags a day (see lib/attribution/reconcile.ts). */
  bill?: { rows: readonly BillRow[]; thresholdPct: number };
}

/** The Monday 00:00 UTC before the week holding `nowMs`: the last complete week. */
export function lastCompleteWeekStart(nowMs: number): number {
  return weekStart(nowMs) - WEEK_MS;
}

function forecastNextWeek(forecast: Forecast, fromMs: number): ClassForecast {
  const toMs = fromMs + WEEK_MS;
  const steps = forecast.steps.filter((s) => {
    const at = Date.parse(s.at);
    return at >= fromMs && at < toMs;
  });
  const daily = Array.from({ length: 7 }, (_, day) => {
    const inDay = steps.filter((s) => Math.floor((Date.parse(s.at) - fromMs) / DAY_MS) === day);
    return inDay.length === 0 ? null : inDay.reduce((a, s) => a + s.p50, 0) / inDay.length;
  });
  const stepHours = forecast.stepSeconds / 3600;
  return {
    classId: forecast.classId,
    issuedAt: forecast.issuedAt,
    coveredHours: Math.min(WEEK_MS / HOUR_MS, Math.round(steps.length * stepHours)),
    meanP50Gpus: steps.length === 0 ? null : steps.reduce((a, s) => a + s.p50, 0) / steps.length,
    peakP90Gpus: steps.length === 0 ? null : Math.max(...steps.map((s) => s.p90)),
    dailyP50Gpus: daily,
  };
}

function recommendations(inputs: ReportInputs, weekStartMs: number, weekEndMs: number): Recommendation[] {
  const fromLedger: Recommendation[] = inputs.ledger
    .filter((e) => e.status === 'recommended')
    .filter((e) => {
      const at = Date.parse(e.at);
      return at >= weekStartMs && at < weekEndMs;
    })
    .map((e) => ({
      source: 'ledger',
      lever: e.lever,
      target: e.target,
      reason: e.reason,
      weeklySavingUsd: avoidedCostUsd(e),
    }));
  const newest = [...inputs.plans].sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1))[0];
  const fromPlan: Recommendation[] = (newest?.actions ?? [])
    .filter((a) => a.status === 'recommended' && (a.expectedSavingUsdPerHour ?? 0n) > 0n)
    .map((a) => ({
      source: 'plan',
      lever: a.kind,
      target: a.nodeIds.length > 0 ? a.nodeIds.join(', ') : a.poolId,
      reason: a.reason,
      weeklySavingUsd: costForSeconds(a.expectedSavingUsdPerHour!, (WEEK_MS / HOUR_MS) * 3600),
    }));
  return [...fromLedger, ...fromPlan]
    .sort((a, b) =>
      a.weeklySavingUsd === b.weeklySavingUsd
        ? a.target.localeCompare(b.target)
        : a.weeklySavingUsd > b.weeklySavingUsd
          ? -1
          : 1,
    )
    .slice(0, TOP_RECOMMENDATIONS);
}

export function buildWeeklyReport(inputs: ReportInputs): WeeklyReport {
  const weekStartMs = weekStart(inputs.weekStartMs);
  const weekEndMs = weekStartMs + WEEK_MS;
  const weekRows = inputs.attribution.filter((r) => {
    const at = Date.parse(r.ChargePeriodStart);
    return at >= weekStartMs && at < weekEndMs;
  });
  const idleRows = weekRows.filter((r) => r.x_JobId === IDLE_OWNER);
  const weeks = weeklySavings(inputs.ledger);
  const thisWeek = toRfc3339(weekStartMs);
  const savingsByLever = LEVERS.map((lever) => {
    const s = weeks.find((w) => w.weekStart === thisWeek && w.lever === lever);
    return {
      lever,
      doneUsd: s?.doneUsd ?? 0n,
      recommendedUsd: s?.recommendedUsd ?? 0n,
      actions: s?.entries ?? 0,
    };
  });
  const savingsTrend = Array.from({ length: TREND_WEEKS }, (_, i) => {
    const start = toRfc3339(weekStartMs - (TREND_WEEKS - 1 - i) * WEEK_MS);
    const of = weeks.filter((w) => w.weekStart === start);
    return {
      weekStart: start,
      doneUsd: sumUsd(of.map((w) => w.doneUsd)),
      recommendedUsd: sumUsd(of.map((w) => w.recommendedUsd)),
    };
  });
  return {
    weekStart: thisWeek,
    weekEnd: toRfc3339(weekEndMs),
    totalSpendUsd: sumUsd(weekRows.map((r) => r.EffectiveCost)),
    spendByTeam: totalsBy(weekRows, 'x_Team').slice(0, TOP_OWNERS),
    spendByProject: totalsBy(weekRows, 'x_Project').slice(0, TOP_OWNERS),
    idleWasteUsd: sumUsd(idleRows.map((r) => r.EffectiveCost)),
    idleByTeam: totalsBy(idleRows, 'x_Team').slice(0, TOP_OWNERS),
    savingsByLever,
    savingsDoneUsd: sumUsd(savingsByLever.map((s) => s.doneUsd)),
    savingsRecommendedUsd: sumUsd(savingsByLever.map((s) => s.recommendedUsd)),
    savingsTrend,
    forecastWeek: { start: toRfc3339(weekEndMs), end: toRfc3339(weekEndMs + WEEK_MS) },
    forecast: inputs.forecasts
      .map((f) => forecastNextWeek(f, weekEndMs))
      .sort((a, b) => (b.meanP50Gpus ?? -1) - (a.meanP50Gpus ?? -1) || a.classId.localeCompare(b.classId)),
    recommendations: recommendations(inputs, weekStartMs, weekEndMs),
    ...(inputs.bill && inputs.bill.rows.length > 0
      ? { reconciliation: reconcileBilledDays(weekRows, inputs.bill, weekStartMs, weekEndMs) }
      : {}),
  };
}

/** Only the days the bill reaches: an export lands a day or more behind, and a day it has not reached is no variance. */
function reconcileBilledDays(
  attribution: readonly AttributionRow[],
  bill: NonNullable<ReportInputs['bill']>,
  weekStartMs: number,
  weekEndMs: number,
): Reconciliation {
  const starts = bill.rows.map((r) => Date.parse(r.ChargePeriodStart));
  // reduce, not Math.min(...): a week of bill lines can pass the engine's argument limit.
  const first = starts.reduce((a, b) => Math.min(a, b));
  const last = starts.reduce((a, b) => Math.max(a, b));
  return reconcile({
    attribution,
    bill: bill.rows,
    fromMs: Math.max(weekStartMs, dayStart(first)),
    toMs: Math.min(weekEndMs, dayStart(last) + DAY_MS),
    thresholdPct: bill.thresholdPct,
  });
}
