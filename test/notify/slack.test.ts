// Slack notifications against a webhook server on 127.0.0.1: Block Kit payloads, 429 with Retry-After, outages, the secret.
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SlackMessage } from '../../lib/domain/notify.ts';
import { botTokenFromSecret, webhookUrlFromSecret } from '../../lib/notify/slack/secret.ts';
import { createSlackWebhook, retryAfterMs } from '../../lib/notify/slack/webhook.ts';
import { runNotify } from '../../lib/runs/notify.ts';
import { blockTexts } from './block-texts.ts';
import { asBusEvent, DECISION_EVENTS } from './decision-events.ts';
import { startFakeSlack, type FakeSlack } from './slack-server.ts';

/** A clock that sleeping moves forward, so rate limits and Retry-After cost no real time. */
function fakeTime() {
  let nowMs = 1_000_000;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => nowMs,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      nowMs += ms;
    },
  };
}

let slack: FakeSlack;
beforeEach(async () => {
  slack = await startFakeSlack();
});
afterEach(async () => {
  await slack.close();
});

describe('decision events to Slack', () => {
  it('posts one Block Kit message per decision event, with the figures a reader needs', async () => {
    const time = fakeTime();
    const webhook = createSlackWebhook({ url: slack.url, ...time });
    const logs: unknown[] = [];
    for (const event of DECISION_EVENTS) {
      const result = await runNotify({ slack: webhook, log: (e) => logs.push(e) }, asBusEvent(event));
      expect(result.status).toBe('delivered');
    }
    expect(slack.posts).toHaveLength(DECISION_EVENTS.length);
    expect(logs).toEqual([]);
    for (const post of slack.posts) {
      expect(post.headers['content-type']).toBe('application/json');
      expect(post.path).toBe('/services/T000/B000/XXXX');
      const message = post.body as SlackMessage;
      expect(message.text.length).toBeGreaterThan(0);
      expect(message.blocks[0]?.type).toBe('header');
      for (const text of blockTexts(message.blocks)) expect(text.length).toBeLessThanOrEqual(3000);
    }
    const [plan, idle, released, interruption, anomaly, budget, failed] = slack.posts.map((p) =>
      blockTexts((p.body as SlackMessage).blocks).join('\n'),
    );
    expect(plan).toContain('Capacity plan (recommend)');
    expect(plan).toContain('$12,345.67');
    expect(plan).toContain('saves $1.25/h');
    // mrkdwn control characters in reasons are escaped, not interpreted
    expect(plan).toContain('&lt;tomorrow&gt;');
    expect(plan).toContain('60% cheaper &amp; risk');
    expect(idle).toContain('Grace deadline');
    expect(idle).toContain(`<!date^${Date.parse('2026-03-02T11:00:00Z') / 1000}^`);
    expect(idle).toContain('|2026-03-02T11:00:00Z>');
    expect(idle).toContain('$1.01/h');
    expect(idle).toContain('vision');
    expect(released).toContain('stop');
    expect(released).toContain('Saves');
    expect(interruption).toContain('Spot interruption: i-0def');
    expect(interruption).toContain('1 × on-demand');
    expect(anomaly).toContain('40 GPUs');
    expect(anomaly).toContain('16 GPUs');
    expect(budget).toContain('$100.00');
    expect(failed).toContain('UnauthorizedOperation');
  });

  it('spaces messages to one per second per webhook', async () => {
    const time = fakeTime();
    const webhook = createSlackWebhook({ url: slack.url, ...time });
    await Promise.all(
      DECISION_EVENTS.slice(0, 3).map((e) => runNotify({ slack: webhook, log: () => {} }, asBusEvent(e))),
    );
    expect(slack.posts).toHaveLength(3);
    expect(time.sleeps).toEqual([1000, 1000]);
  });

  it('waits as long as a 429 Retry-After says, then delivers', async () => {
    slack.script.push({ status: 429, headers: { 'retry-after': '7' }, body: 'rate_limited' });
    const time = fakeTime();
    const webhook = createSlackWebhook({ url: slack.url, ...time });
    const result = await runNotify({ slack: webhook, log: () => {} }, asBusEvent(DECISION_EVENTS[1]!));
    expect(result).toMatchObject({ status: 'delivered', attempts: 2 });
    expect(time.sleeps).toEqual([7000]);
    expect(slack.posts).toHaveLength(2);
    expect(slack.posts[1]!.body).toEqual(slack.posts[0]!.body);
  });

  it('gives up on a Retry-After longer than it may wait, without throwing', async () => {
    slack.script.push({ status: 429, headers: { 'retry-after': '600' } });
    const webhook = createSlackWebhook({ url: slack.url, ...fakeTime() });
    const logs: Record<string, unknown>[] = [];
    const result = await runNotify(
      { slack: webhook, log: (e) => logs.push(e) },
      asBusEvent(DECISION_EVENTS[0]!),
    );
    expect(result).toMatchObject({ status: 'undelivered', attempts: 1 });
    expect(logs[0]).toMatchObject({ level: 'ERROR', message: 'Slack undelivered' });
  });

  it('retries 5xx with backoff and reports undelivered after the last attempt', async () => {
    for (let i = 0; i < 4; i++) slack.script.push({ status: 503 });
    const time = fakeTime();
    const webhook = createSlackWebhook({ url: slack.url, ...time, maxAttempts: 4 });
    const result = await runNotify({ slack: webhook, log: () => {} }, asBusEvent(DECISION_EVENTS[2]!));
    expect(result).toMatchObject({ status: 'undelivered', attempts: 4 });
    expect(slack.posts).toHaveLength(4);
    // backoff 500, 1000, 2000 ms, never closer than the one-per-second spacing
    expect(time.sleeps).toEqual([1000, 1000, 2000]);
  });

  it('does not retry a 4xx that retrying cannot fix (a revoked webhook)', async () => {
    slack.script.push({ status: 404, body: 'no_service' });
    const webhook = createSlackWebhook({ url: slack.url, ...fakeTime() });
    const result = await runNotify({ slack: webhook, log: () => {} }, asBusEvent(DECISION_EVENTS[3]!));
    expect(result).toMatchObject({ status: 'undelivered', attempts: 1 });
    expect((result as { error: string }).error).toContain('no_service');
  });

  it('survives Slack being unreachable: the run resolves, nothing is thrown', async () => {
    const url = slack.url;
    await slack.close();
    const webhook = createSlackWebhook({ url, ...fakeTime(), maxAttempts: 2 });
    const result = await runNotify({ slack: webhook, log: () => {} }, asBusEvent(DECISION_EVENTS[4]!));
    expect(result).toMatchObject({ status: 'undelivered', attempts: 2 });
    slack = await startFakeSlack();
  });

  it('skips events that are not decisions or do not parse, naming the field', async () => {
    const webhook = createSlackWebhook({ url: slack.url, ...fakeTime() });
    const bad = asBusEvent(DECISION_EVENTS[1]!);
    (bad.detail as Record<string, unknown>).graceDeadline = 'tomorrow';
    const result = await runNotify({ slack: webhook, log: () => {} }, bad);
    expect(result.status).toBe('skipped');
    expect((result as { reason: string }).reason).toContain('detail.graceDeadline');
    expect(slack.posts).toHaveLength(0);
  });

  it('reads Retry-After in seconds or as an HTTP date', () => {
    expect(retryAfterMs('3', 0)).toBe(3000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4000)).toBe(6000);
    expect(retryAfterMs(null, 0)).toBeUndefined();
  });
});

describe('webhook URL from Secrets Manager', () => {
  const secrets = mockClient(SecretsManagerClient);
  afterEach(() => secrets.reset());

  it('takes a plain URL or JSON with a url, and posts to it', async () => {
    secrets
      .on(GetSecretValueCommand, { SecretId: 'gpu/slack' })
      .resolves({ SecretString: ` ${slack.url}\n` });
    const client = new SecretsManagerClient({ region: 'us-east-1' });
    expect(await webhookUrlFromSecret(client, 'gpu/slack')).toBe(slack.url);
    secrets
      .on(GetSecretValueCommand, { SecretId: 'gpu/json' })
      .resolves({ SecretString: JSON.stringify({ url: slack.url }) });
    const webhook = createSlackWebhook({
      url: () => webhookUrlFromSecret(client, 'gpu/json'),
      ...fakeTime(),
    });
    const result = await runNotify({ slack: webhook, log: () => {} }, asBusEvent(DECISION_EVENTS[6]!));
    expect(result.status).toBe('delivered');
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('reads a bot token, plain or as JSON, and says what a secret without one lacks', async () => {
    secrets.on(GetSecretValueCommand, { SecretId: 'gpu/bot' }).resolves({ SecretString: 'xoxb-1-2-abc\n' });
    secrets
      .on(GetSecretValueCommand, { SecretId: 'gpu/bot-json' })
      .resolves({ SecretString: JSON.stringify({ token: 'xoxb-9-8-xyz' }) });
    secrets.on(GetSecretValueCommand, { SecretId: 'gpu/url' }).resolves({ SecretString: slack.url });
    const client = new SecretsManagerClient({ region: 'us-east-1' });
    expect(await botTokenFromSecret(client, 'gpu/bot')).toBe('xoxb-1-2-abc');
    expect(await botTokenFromSecret(client, 'gpu/bot-json')).toBe('xoxb-9-8-xyz');
    await expect(botTokenFromSecret(client, 'gpu/url')).rejects.toThrow('holds no Slack bot token');
  });

  it('a secret without a URL is an undelivered message, not a crash', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: 'not-a-url' });
    const client = new SecretsManagerClient({ region: 'us-east-1' });
    await expect(webhookUrlFromSecret(client, 'gpu/bad')).rejects.toThrow('holds no webhook URL');
    const webhook = createSlackWebhook({
      url: () => webhookUrlFromSecret(client, 'gpu/bad'),
      ...fakeTime(),
      maxAttempts: 1,
    });
    const result = await runNotify({ slack: webhook, log: () => {} }, asBusEvent(DECISION_EVENTS[0]!));
    expect(result).toMatchObject({ status: 'undelivered' });
    expect(slack.posts).toHaveLength(0);
  });
});
