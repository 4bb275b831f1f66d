// The report run: reads the week from the store, builds the savings report, and mails it (or hands it back for a page).
import type { Clock, Mailer, Store } from '../domain/ports.ts';
import type { Forecast } from '../domain/forecast.ts';
import { weekStart } from '../domain/time.ts';
import { renderReportHtml, reportSubject } from '../notify/report/html.ts';
import {
  buildWeeklyReport,
  lastCompleteWeekStart,
  TREND_WEEKS,
  WEEK_MS,
  type WeeklyReport,
} from '../notify/report/model.ts';
import { renderReportText } from '../notify/report/text.ts';
import { DEFAULT_THRESHOLD_PCT } from './import-bill.ts';

export interface ReportPorts {
  store: Store;
  clock: Clock;
}

export interface ReportOptions {
  /** Any instant of the week to report; default: the last complete week before now. */
  weekOfMs?: number;
}

export interface RenderedReport {
  report: WeeklyReport;
  subject: string;
  html: string;
  text: string;
}

/** Everything the report needs, read from the store for one week. */
export async function composeReport(
  ports: ReportPorts,
  options: ReportOptions = {},
): Promise<RenderedReport> {
  const fromMs =
    options.weekOfMs !== undefined ? weekStart(options.weekOfMs) : lastCompleteWeekStart(ports.clock.now());
  const toMs = fromMs + WEEK_MS;
  const [attribution, ledger, classes, plans, billRows] = await Promise.all([
    ports.store.attribution.between(fromMs, toMs),
    ports.store.ledger.between(toMs - TREND_WEEKS * WEEK_MS, toMs),
    ports.store.classes.list(),
    ports.store.plans.between(fromMs, toMs),
    ports.store.bills.rowsBetween(fromMs, toMs),
  ]);
  const forecasts = (await Promise.all(classes.map((c) => ports.store.forecasts.latest(c.id)))).filter(
    (f): f is Forecast => f !== undefined,
  );
  const report = buildWeeklyReport({
    weekStartMs: fromMs,
    attribution,
    ledger,
    forecasts,
    plans,
    bill: { rows: billRows, thresholdPct: DEFAULT_THRESHOLD_PCT },
  });
  return {
    report,
    subject: reportSubject(report),
    html: renderReportHtml(report),
    text: renderReportText(report),
  };
}

export interface ReportRunResult {
  weekStart: string;
  messageId: string;
  recipients: number;
  totalSpendUsd: bigint;
  savingsDoneUsd: bigint;
  savingsRecommendedUsd: bigint;
}

/** The weekly run: compose the report and send it to every recipient in one e-mail. */
export async function runReport(
  ports: ReportPorts & { mailer: Mailer },
  options: ReportOptions & { from: string; recipients: readonly string[] },
): Promise<ReportRunResult> {
  const rendered = await composeReport(ports, options);
  const { messageId } = await ports.mailer.send({
    from: options.from,
    to: options.recipients,
    subject: rendered.subject,
    html: rendered.html,
    text: rendered.text,
  });
  return {
    weekStart: rendered.report.weekStart,
    messageId,
    recipients: options.recipients.length,
    totalSpendUsd: rendered.report.totalSpendUsd,
    savingsDoneUsd: rendered.report.savingsDoneUsd,
    savingsRecommendedUsd: rendered.report.savingsRecommendedUsd,
  };
}
