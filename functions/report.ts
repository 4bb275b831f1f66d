// Lambda door of the weekly report run: a schedule in, the savings report e-mailed through SES v2.
import type { ScheduledEvent } from 'aws-lambda';
import { MetricUnit } from '../lib/adapters/metrics.ts';
import { formatUsd, usdToNumber } from '../lib/domain/money.ts';
import { METRIC_NAMES } from '../lib/infra/metric-names.ts';
import { createSesMailer } from '../lib/notify/email.ts';
import { WEEK_MS } from '../lib/notify/report/model.ts';
import { runReport } from '../lib/runs/report.ts';
import { openDoor } from '../lib/system/door.ts';

const door = openDoor('report');

export interface ReportSummary {
  weekStart: string;
  messageId: string;
  totalSpendUsd: string;
  savingsDoneUsd: string;
}

export async function reportHandler(event: ScheduledEvent): Promise<ReportSummary> {
  const { config, assembly } = await door.system();
  const { SESv2Client } = await import('@aws-sdk/client-sesv2');
  // The schedule's own time decides the week, so a retried invocation reports the week it was meant for.
  const scheduledMs = Date.parse(event.time);
  const result = await runReport(
    { store: await assembly.store(), clock: assembly.clock, mailer: createSesMailer(new SESv2Client({})) },
    {
      ...door.entry.options(config),
      ...(Number.isFinite(scheduledMs) ? { weekOfMs: scheduledMs - WEEK_MS } : {}),
    },
  );
  door.metrics.publish([
    {
      atMs: scheduledMs || assembly.clock.now(),
      values: [
        {
          name: METRIC_NAMES.weeklySpendUsd,
          unit: MetricUnit.Count,
          value: usdToNumber(result.totalSpendUsd),
        },
        {
          name: METRIC_NAMES.savingsDoneUsd,
          unit: MetricUnit.Count,
          value: usdToNumber(result.savingsDoneUsd),
        },
        {
          name: METRIC_NAMES.savingsRecommendedUsd,
          unit: MetricUnit.Count,
          value: usdToNumber(result.savingsRecommendedUsd),
        },
      ],
    },
  ]);
  door.logger.info('report sent', { weekStart: result.weekStart, messageId: result.messageId });
  return {
    weekStart: result.weekStart,
    messageId: result.messageId,
    totalSpendUsd: formatUsd(result.totalSpendUsd),
    savingsDoneUsd: formatUsd(result.savingsDoneUsd),
  };
}

export const handler = door.wrap(reportHandler);
