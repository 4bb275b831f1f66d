// Reads Slack credentials from Secrets Manager: the incoming-webhook URL, or the bot token of the threaded transport.
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';

const zWebhookUrl = z.url({ protocol: /^https?$/ });

export async function webhookUrlFromSecret(
  client: Pick<SecretsManagerClient, 'send'>,
  secretId: string,
): Promise<string> {
  const out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
  const text = out.SecretString?.trim();
  if (!text) throw new Error(`secret ${secretId} has no string value`);
  let candidate: unknown = text;
  if (text.startsWith('{')) candidate = (JSON.parse(text) as { url?: unknown }).url;
  const parsed = zWebhookUrl.safeParse(candidate);
  if (!parsed.success) throw new Error(`secret ${secretId} holds no webhook URL (a URL, or JSON with "url")`);
  return parsed.data;
}

const zBotToken = z.string().regex(/^xox[a-z]-[A-Za-z0-9-]+$/);

/** Reads a Slack bot token (xoxb-…) from Secrets Manager: the secret holds the token, or JSON with a `token`. */
export async function botTokenFromSecret(
  client: Pick<SecretsManagerClient, 'send'>,
  secretId: string,
): Promise<string> {
  const out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
  const text = out.SecretString?.trim();
  if (!text) throw new Error(`secret ${secretId} has no string value`);
  let candidate: unknown = text;
  if (text.startsWith('{')) candidate = (JSON.parse(text) as { token?: unknown }).token;
  const parsed = zBotToken.safeParse(candidate);
  if (!parsed.success)
    throw new Error(`secret ${secretId} holds no Slack bot token (xoxb-…, or JSON with "token")`);
  return parsed.data;
}
