// Lambda door of the notify run: a decision event from its rule in, a Slack message out.
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import middy from '@middy/core';
import type { EventBridgeEvent } from 'aws-lambda';
import { z } from 'zod';
import { parseOrThrow } from '../lib/domain/validation.ts';
import { METRIC_NAMES } from '../lib/infra/metric-names.ts';
import { webhookUrlFromSecret } from '../lib/notify/slack/secret.ts';
import { createSlackWebhook } from '../lib/notify/slack/webhook.ts';
import { runNotify, type NotifyResult } from '../lib/runs/notify.ts';

const zEnvironment = z.object({ SLACK_WEBHOOK_SECRET_ID: z.string().min(1) });

/** Read once at cold start: a missing variable fails the first invocation loudly. */
const environment = parseOrThrow(zEnvironment, process.env, 'notify function environment');
const logger = new Logger();
const metrics = new Metrics();
const secrets = new SecretsManagerClient({});
const fetchUrl = () => webhookUrlFromSecret(secrets, environment.SLACK_WEBHOOK_SECRET_ID);
// Fetched once per cold start, starting while the runtime initializes; a failed read is retried on the next event.
let prefetched: Promise<string> | undefined = fetchUrl();
prefetched.catch(() => undefined);
const slack = createSlackWebhook({
  url: () => {
    const url = prefetched ?? fetchUrl();
    prefetched = undefined;
    return url;
  },
});

export async function notifyHandler(event: EventBridgeEvent<string, unknown>): Promise<NotifyResult> {
  const result = await runNotify(
    {
      slack,
      log: ({ level, message, ...rest }) =>
        logger[level === 'ERROR' ? 'error' : 'warn'](String(message), rest),
    },
    { source: event.source, 'detail-type': event['detail-type'], detail: event.detail, time: event.time },
  );
  if (result.status === 'undelivered') {
    metrics.addMetric(METRIC_NAMES.slackUndelivered, MetricUnit.Count, 1);
    metrics.publishStoredMetrics();
  }
  return result;
}

export const handler = middy<EventBridgeEvent<string, unknown>, NotifyResult>().handler(notifyHandler);
