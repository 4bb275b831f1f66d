// Each run's own section of the config: the use case's options schema, less what the whole system shares (mode, kill switch).
import { z } from 'zod';
import { BILL_FORMATS } from '../attribution/bills/bill-row.ts';
import { zPriceCacheConfig } from '../pricing/cached-price-source.ts';
import { zForecastConfig } from '../runs/forecast.ts';
import { DEFAULT_THRESHOLD_PCT } from '../runs/import-bill.ts';
import { zOptimizeConfig } from '../runs/optimize-config.ts';
import { zPollConnectorsConfig } from '../runs/poll-connectors.ts';
import { zReclaimConfig } from '../runs/reclaim.ts';
import { zRefreshPricesConfig } from '../runs/refresh-prices.ts';
import { zReclaimPolicy } from '../optimizer/idle/policy.ts';

const zEmail = z.email();

export const zForecastSection = zForecastConfig.describe('The hourly demand forecast per workload class.');

export const zOptimizeSection = zOptimizeConfig
  .omit({ mode: true, killSwitch: true })
  .extend({
    prices: zPriceCacheConfig.prefault({}).describe('How old stored prices may be before a run warns.'),
  })
  .describe('The capacity plan every 15 minutes (mode and kill switch are the system-wide ones).');

export const zInterruptionSection = z
  .object({
    gpuThroughput: z
      .record(z.string(), z.number().positive())
      .optional()
      .describe('Relative work per GPU model, to compare replacement pools per unit of work.'),
  })
  .describe('Replacing a node on a spot interruption or rebalance notice.');

export const zReclaimSection = zReclaimConfig
  .extend({ policy: zReclaimPolicy.omit({ mode: true, killSwitch: true }).prefault({}) })
  .describe(
    'Idle nodes: mark, grace, release every 5 minutes (mode and kill switch are the system-wide ones).',
  );

export const zPollConnectorsSection = zPollConnectorsConfig
  .extend({
    everyMinutes: z
      .number()
      .int()
      .min(1)
      .max(60)
      .default(5)
      .describe('Minutes between two polls of the fleets.'),
  })
  .describe('Polling the non-AWS fleets (Slurm, Kubernetes, GCP, Azure, Prometheus) onto the bus.');

export const zReportSection = z
  .object({
    from: zEmail.describe('The sender; SES must verify it (or its domain) before mail goes out.'),
    domain: z
      .string()
      .regex(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/)
      .optional()
      .describe('Verify a whole domain instead of the sender address (DKIM records to publish).'),
    recipients: z.array(zEmail).min(1).describe('Who receives the weekly report.'),
    schedule: z
      .string()
      .regex(/^cron\(.+\)$/)
      .default('cron(0 8 ? * MON *)')
      .describe('EventBridge Scheduler cron expression of the weekly report, in timeZone.'),
    timeZone: z.string().min(1).default('UTC').describe('IANA time zone of the report schedule.'),
  })
  .describe('The weekly savings report e-mail.');

export const zSlackSection = z
  .object({
    webhookSecretName: z
      .string()
      .min(1)
      .max(512)
      .optional()
      .describe(
        'Name of the Secrets Manager secret whose value is the incoming-webhook URL (created by you).',
      ),
    botTokenSecretName: z
      .string()
      .min(1)
      .max(512)
      .optional()
      .describe('Name of the Secrets Manager secret holding a bot token (xoxb-…), for threaded updates.'),
    channel: z.string().min(1).optional().describe('The channel the bot posts to (with botTokenSecretName).'),
  })
  .refine((s) => s.webhookSecretName || (s.botTokenSecretName && s.channel), {
    message: 'set webhookSecretName, or botTokenSecretName and channel',
  })
  .describe('Decision events to Slack: what is new or needs a person at once, a daily digest of the rest.');

/** The Slack secrets the notify function may read. */
export function slackSecretNames(slack: z.output<typeof zSlackSection> | undefined): string[] {
  return [slack?.webhookSecretName, slack?.botTokenSecretName].filter((n): n is string => n !== undefined);
}

const zNoWildcard = (what: string) =>
  z.string().regex(/^[^*\\]*$/, `${what} must not contain * or \\ (the rule matches it literally)`);

export const zBillsSection = z
  .object({
    bucket: z
      .string()
      .regex(
        /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
        'expected an S3 bucket name, like cur-exports-111122223333',
      )
      .describe('Bucket the bill exports land in; same region, EventBridge delivery on.'),
    prefix: zNoWildcard('prefix')
      .max(512)
      .default('')
      .describe('Key prefix of the exports; empty: the whole bucket.'),
    suffixes: z
      .array(zNoWildcard('a suffix').min(1).max(32))
      .min(1)
      .default(['.csv', '.csv.gz'])
      .describe('Object key endings that are exports.'),
    format: z
      .enum(BILL_FORMATS)
      .optional()
      .describe("The exports' format; left out, each file's header tells."),
    varianceThresholdPct: z
      .number()
      .min(0)
      .max(100)
      .default(DEFAULT_THRESHOLD_PCT)
      .describe('A day whose bill and attribution differ by more than this % raises a Budget Alert.'),
  })
  .describe('Bill exports in S3: import, reconcile with attribution, alert on variance.');

export const zRefreshPricesSection = z
  .object({
    everyHours: z.number().int().min(1).max(168).default(24).describe('Hours between two price refreshes.'),
    spotLookbackHours: zRefreshPricesConfig.shape.spotLookbackHours.describe(
      'How far back spot history is read (a quiet market may not have moved for days).',
    ),
  })
  .describe('The scheduled price refresh (on-demand, reserved and savings-plan rates, spot history).');
