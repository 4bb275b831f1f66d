// Reads the Slack incoming-webhook URL from Secrets Manager: the secret holds the URL, or JSON with a `url`.
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
