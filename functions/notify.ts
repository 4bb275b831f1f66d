// Lambda door of the notify run: a decision event from its rule in, a Slack message (or the digest, or nothing) out.
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import type { EventBridgeEvent } from 'aws-lambda';
import { z } from 'zod';
import { parseOrThrow } from '../lib/domain/validation.ts';
import { METRIC_NAMES } from '../lib/infra/metric-names.ts';
import { createSlackBot, withWebhookFallback } from '../lib/notify/slack/bot.ts';
import { botTokenFromSecret, webhookUrlFromSecret } from '../lib/notify/slack/secret.ts';
import { createSlackWebhook, type SlackTransport } from '../lib/notify/slack/webhook.ts';
import { runNotify, type NotifyResult } from '../lib/runs/notify.ts';
import { createDynamoNotifyState } from '../lib/store/outbox.ts';

const zEnvironment = z
  .object({
    SLACK_WEBHOOK_SECRET_ID: z.string().min(1).optional(),
    /** The threaded transport: a bot token's secret and the channel it posts to. */
    SLACK_BOT_TOKEN_SECRET_ID: z.string().min(1).optional(),
    SLACK_CHANNEL: z.string().min(1).optional(),
    /** The table that remembers what was posted and keeps what Slack did not take. */
    TABLE_NAME: z.string().min(1).optional(),
  })
  .refine((e) => e.SLACK_WEBHOOK_SECRET_ID || (e.SLACK_BOT_TOKEN_SECRET_ID && e.SLACK_CHANNEL), {
    message: 'set SLACK_WEBHOOK_SECRET_ID, or SLACK_BOT_TOKEN_SECRET_ID and SLACK_CHANNEL',
  });

/** Read once at cold start: a missing variable fails the first invocation loudly. */
const environment = parseOrThrow(zEnvironment, process.env, 'notify function environment');
const logger = new Logger();
const metrics = new Metrics();
const secrets = new SecretsManagerClient({});

/** Fetched once per cold start, starting while the runtime initializes; a failed read is retried on the next event. */
function prefetchedSecret(read: () => Promise<string>): () => Promise<string> {
  let prefetched: Promise<string> | undefined = read();
  prefetched.catch(() => undefined);
  return () => {
    const value = prefetched ?? read();
    prefetched = undefined;
    return value;
  };
}

const webhookSecret = environment.SLACK_WEBHOOK_SECRET_ID;
const webhook = webhookSecret
  ? createSlackWebhook({ url: prefetchedSecret(() => webhookUrlFromSecret(secrets, webhookSecret)) })
  : undefined;
const botSecret = environment.SLACK_BOT_TOKEN_SECRET_ID;
const bot =
  botSecret && environment.SLACK_CHANNEL
    ? createSlackBot({
        token: prefetchedSecret(() => botTokenFromSecret(secrets, botSecret)),
        channel: environment.SLACK_CHANNEL,
      })
    : undefined;
const slack: SlackTransport = bot ? (webhook ? withWebhookFallback(bot, webhook) : bot) : webhook!;
const state = environment.TABLE_NAME
  ? createDynamoNotifyState({
      client: DynamoDBDocumentClient.from(new DynamoDBClient({})),
      tableName: environment.TABLE_NAME,
    })
  : undefined;

export async function notifyHandler(event: EventBridgeEvent<string, unknown>): Promise<NotifyResult> {
  const result = await runNotify(
    {
      slack,
      ...(state ? { state } : {}),
      log: ({ level, message, ...rest }) =>
        logger[level === 'ERROR' ? 'error' : 'warn'](String(message), rest),
    },
    { source: event.source, 'detail-type': event['detail-type'], detail: event.detail, time: event.time },
  );
  const undelivered = state ? result.outbox.queued : result.status === 'undelivered' ? 1 : 0;
  if (undelivered > 0) metrics.addMetric(METRIC_NAMES.slackUndelivered, MetricUnit.Count, undelivered);
  if (state) metrics.addMetric(METRIC_NAMES.slackOutboxDepth, MetricUnit.Count, result.outbox.depth);
  if (undelivered > 0 || state) metrics.publishStoredMetrics();
  return result;
}

export const handler = middy<EventBridgeEvent<string, unknown>, NotifyResult>().handler(notifyHandler);
