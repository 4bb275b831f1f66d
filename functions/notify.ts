// Lambda door of the notify run: a decision event from its rule in, a Slack message (or the digest, or nothing) out.
import type { EventBridgeEvent } from 'aws-lambda';
import { once } from '../lib/adapters/aws-ports.ts';
import { MetricUnit, type MetricValue } from '../lib/adapters/metrics.ts';
import { METRIC_NAMES } from '../lib/infra/metric-names.ts';
import { createSlackBot, withWebhookFallback } from '../lib/notify/slack/bot.ts';
import { botTokenFromSecret, webhookUrlFromSecret } from '../lib/notify/slack/secret.ts';
import type { SlackTransport } from '../lib/domain/ports.ts';
import { createSlackWebhook } from '../lib/notify/slack/webhook.ts';
import { runNotify, type NotifyResult } from '../lib/runs/notify.ts';
import { createDynamoNotifyState } from '../lib/store/outbox.ts';
import { openDoor } from '../lib/system/door.ts';
import { idempotencyMiddleware } from '../lib/system/idempotency.ts';
import { redactSecrets } from '../lib/domain/redact.ts';

const door = openDoor('notify');

/** The transport the config names: the bot (threads) with the webhook as its fallback, or either alone. */
const ports = once(async () => {
  const { config } = await door.system();
  const slackConfig = door.entry.options(config);
  const [{ SecretsManagerClient }, { DynamoDBClient }, { DynamoDBDocumentClient }] = await Promise.all([
    import('@aws-sdk/client-secrets-manager'),
    import('@aws-sdk/client-dynamodb'),
    import('@aws-sdk/lib-dynamodb'),
  ]);
  const secrets = new SecretsManagerClient({});
  const webhookSecret = slackConfig.webhookSecretName;
  const webhook = webhookSecret
    ? createSlackWebhook({ url: () => webhookUrlFromSecret(secrets, webhookSecret) })
    : undefined;
  const botSecret = slackConfig.botTokenSecretName;
  const bot =
    botSecret && slackConfig.channel
      ? createSlackBot({ token: () => botTokenFromSecret(secrets, botSecret), channel: slackConfig.channel })
      : undefined;
  const slack: SlackTransport = bot ? (webhook ? withWebhookFallback(bot, webhook) : bot) : webhook!;
  const state = createDynamoNotifyState({
    client: DynamoDBDocumentClient.from(new DynamoDBClient({})),
    tableName: door.environment.TABLE_NAME!,
  });
  return { slack, state };
});

export async function notifyHandler(event: EventBridgeEvent<string, unknown>): Promise<NotifyResult> {
  const { slack, state } = await ports();
  const result = await runNotify(
    { slack, state, log: door.log },
    // A run's error may quote a URL with its credential: Slack never sees it.
    {
      source: event.source,
      'detail-type': event['detail-type'],
      detail: redactSecrets(event.detail),
      time: event.time,
    },
  );
  const values: MetricValue[] = [
    { name: METRIC_NAMES.slackOutboxDepth, unit: MetricUnit.Count, value: result.outbox.depth },
  ];
  if (result.outbox.queued > 0)
    values.push({ name: METRIC_NAMES.slackUndelivered, unit: MetricUnit.Count, value: result.outbox.queued });
  door.metrics.publish([{ atMs: Date.now(), values }]);
  return result;
}

export const handler = door.wrap(notifyHandler, idempotencyMiddleware);
