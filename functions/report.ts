// Lambda door of the weekly report run: a schedule in, the savings report e-mailed through SES v2.
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import type { ScheduledEvent } from 'aws-lambda';
import { z } from 'zod';
import { formatUsd, usdToNumber } from '../lib/domain/money.ts';
import { parseOrThrow } from '../lib/domain/validation.ts';
import { METRIC_NAMES } from '../lib/infra/metric-names.ts';
import { systemClock } from '../lib/memory/clock.ts';
import { createSesMailer } from '../lib/notify/email.ts';
import { WEEK_MS } from '../lib/notify/report/model.ts';
import { runReport } from '../lib/runs/report.ts';
import { createDynamoStore } from '../lib/store/index.ts';

const zEnvironment = z.object({
  TABLE_NAME: z.string().min(1),
  REPORT_FROM: z.email(),
  /** Comma-separated addresses. */
  REPORT_RECIPIENTS: z
    .string()
    .transform((text) =>
      text
        .split(',')
        .map((a) => a.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.email()).min(1)),
});

/** Read once at cold start: a missing or malformed variable fails the first invocation loudly. */
const environment = parseOrThrow(zEnvironment, process.env, 'report function environment');
const store = createDynamoStore({
  client: DynamoDBDocumentClient.from(new DynamoDBClient({})),
  tableName: environment.TABLE_NAME,
});
const mailer = createSesMailer(new SESv2Client({}));
const logger = new Logger();
const metrics = new Metrics();

export interface ReportSummary {
  weekStart: string;
  messageId: string;
  totalSpendUsd: string;
  savingsDoneUsd: string;
}

export async function reportHandler(event: ScheduledEvent): Promise<ReportSummary> {
  // The schedule's own time decides the week, so a retried invocation reports the week it was meant for.
  const scheduledMs = Date.parse(event.time);
  const result = await runReport(
    { store, clock: systemClock, mailer },
    {
      from: environment.REPORT_FROM,
      recipients: environment.REPORT_RECIPIENTS,
      ...(Number.isFinite(scheduledMs) ? { weekOfMs: scheduledMs - WEEK_MS } : {}),
    },
  );
  metrics.addMetric(METRIC_NAMES.weeklySpendUsd, MetricUnit.Count, usdToNumber(result.totalSpendUsd));
  metrics.addMetric(METRIC_NAMES.savingsDoneUsd, MetricUnit.Count, usdToNumber(result.savingsDoneUsd));
  metrics.addMetric(
    METRIC_NAMES.savingsRecommendedUsd,
    MetricUnit.Count,
    usdToNumber(result.savingsRecommendedUsd),
  );
  metrics.publishStoredMetrics();
  logger.info('report sent', { weekStart: result.weekStart, messageId: result.messageId });
  return {
    weekStart: result.weekStart,
    messageId: result.messageId,
    totalSpendUsd: formatUsd(result.totalSpendUsd),
    savingsDoneUsd: formatUsd(result.savingsDoneUsd),
  };
}

export const handler = middy<ScheduledEvent, ReportSummary>().handler(reportHandler);
