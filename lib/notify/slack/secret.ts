// Reads Slack credentials from Secrets Manager: the incoming-webhook URL, or the bot token of the threaded transport.
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';

const zWebhookUrl = z.url({ protocol: /^https?$/ });
const zBotToken = z.string().regex(/^xox[a-z]-[A-Za-z0-9-]+$/);

/** The secret's string, or the `key` field when it holds JSON; checked by `schema`, or an error saying what it lacks. */
async function secretField(
  client: Pick<SecretsManagerClient, 'send'>,
  secretId: string,
  key: string,
  schema: z.ZodType<string>,
  what: string,
): Promise<string> {
  const out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
  const text = out.SecretString?.trim();
  if (!text) throw new Error(`secret ${secretId} has no string value`);
  let candidate: unknown = text;
  if (text.startsWith('{')) candidate = (JSON.parse(text) as Record<string, unknown>)[key];
  const parsed = schema.safeParse(candidate);
  if (!parsed.success)
    throw new Error(`secret ${secretId} holds no ${what} (${what}, or JSON with "${key}")`);
  return parsed.data;
}

export function webhookUrlFromSecret(
  client: Pick<SecretsManagerClient, 'send'>,
  secretId: string,
): Promise<string> {
  return secretField(client, secretId, 'url', zWebhookUrl, 'webhook URL');
}

/** The bot token (xoxb-…) of the Web API transport. */
export function botTokenFromSecret(
  client: Pick<SecretsManagerClient, 'send'>,
  secretId: string,
): Promise<string> {
  return secretField(client, secretId, 'token', zBotToken, 'Slack bot token');
}
