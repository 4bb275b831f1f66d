// Quiet, useful alerts against dynalite and a Slack server on 127.0.0.1: what is new is posted once, the rest waits for the daily digest, undelivered messages are kept and sent later, replies thread.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeEvent, type DomainEvent } from '../../lib/domain/events.ts';
import type { SlackMessage } from '../../lib/domain/notify.ts';
import type { NotifyState, SlackTransport } from '../../lib/domain/ports.ts';
import { createSlackBot, withWebhookFallback } from '../../lib/notify/slack/bot.ts';
import { createSlackWebhook } from '../../lib/notify/slack/webhook.ts';
import { runNotify, type NotifyResult } from '../../lib/runs/notify.ts';
import { createDynamoNotifyState } from '../../lib/store/outbox.ts';
import { FAST_RETRY, freshDynamoStore, scanTable } from '../support/dynamo.ts';
import { asBusEvent, DECISION_EVENTS } from './decision-events.ts';
import { startFakeSlack, type FakeSlack } from './slack-server.ts';

const plan = DECISION_EVENTS[0] as Extract<DomainEvent, { detailType: 'Capacity Plan Created' }>;
const failed = DECISION_EVENTS[6] as Extract<DomainEvent, { detailType: 'Run Failed' }>;
const DAY0 = Date.parse('2026-03-02T00:00:00Z');
const MIN = 60_000;

/** A clock the run and the transport share; sleeping moves it, so retries cost no real time. */
function fakeTime(startMs: number) {
  let nowMs = startMs;
  return {
    set: (ms: number) => (nowMs = Math.max(nowMs, ms)),
    now: () => nowMs,
    sleep: async (ms: number) => {
      nowMs += ms;
    },
  };
}

function planEvent(atMs: number, actions: (typeof plan.detail.actions)[number][]): DomainEvent {
  const at = new Date(atMs).toISOString().replace('.000Z', 'Z');
  return makeEvent('Capacity Plan Created', {
    ...plan.detail,
    planId: `plan-${atMs}`,
    createdAt: at,
    actions,
  });
}

const busEvent = (event: DomainEvent, atMs: number) => ({
  ...asBusEvent(event),
  time: new Date(atMs).toISOString().replace('.000Z', 'Z'),
});

let slack: FakeSlack;
let state: NotifyState;
let table: Awaited<ReturnType<typeof freshDynamoStore>>;
beforeEach(async () => {
  slack = await startFakeSlack();
  table = await freshDynamoStore();
  state = createDynamoNotifyState({ client: table.client, tableName: table.tableName, retry: FAST_RETRY });
});
afterEach(async () => {
  await slack.close();
});

function notifier(transport: (time: ReturnType<typeof fakeTime>) => SlackTransport, startMs = DAY0) {
  const time = fakeTime(startMs);
  const slackTransport = transport(time);
  const logs: Record<string, unknown>[] = [];
  return {
    logs,
    time,
    run: (event: DomainEvent, atMs: number): Promise<NotifyResult> => {
      time.set(atMs);
      return runNotify(
        { slack: slackTransport, state, log: (e) => logs.push(e), now: time.now },
        busEvent(event, atMs),
      );
    },
  };
}
const webhookOf = (url: () => string) => (time: ReturnType<typeof fakeTime>) =>
  createSlackWebhook({ url: url(), now: time.now, sleep: time.sleep });

describe('quiet alerts', () => {
  it('a day of plans with nothing to do posts nothing; the next day opens with one digest that counts them', async () => {
    const n = notifier(webhookOf(() => slack.url));
    for (let i = 0; i < 96; i++) {
      const result = await n.run(planEvent(DAY0 + i * 15 * MIN, []), DAY0 + i * 15 * MIN);
      expect(result.status).toBe('quiet');
    }
    // EventBridge redelivers one of them: it rewrites its own item, the count stays 96
    await n.run(planEvent(DAY0 + 30 * MIN, []), DAY0 + 30 * MIN);
    expect(slack.posts).toHaveLength(0);

    const next = await n.run(planEvent(DAY0 + 24 * 60 * MIN, []), DAY0 + 24 * 60 * MIN + 10_000);
    expect(next.digests).toEqual([{ day: '2026-03-02', events: 96, status: 'delivered' }]);
    expect(slack.posts).toHaveLength(1);
    const digest = slack.posts[0]!.body as SlackMessage;
    expect(digest.text).toContain('Daily digest for 2026-03-02');
    expect(JSON.stringify(digest.blocks)).toContain('no action needed — 96×');

    // later runs of the same day do not send it again
    await n.run(planEvent(DAY0 + 24 * 60 * MIN + 15 * MIN, []), DAY0 + 24 * 60 * MIN + 15 * MIN);
    expect(slack.posts).toHaveLength(1);
  });

  it('an action is posted once; the same decision again is quiet; a changed one is posted', async () => {
    const n = notifier(webhookOf(() => slack.url));
    const action = plan.detail.actions[0]!;
    expect((await n.run(planEvent(DAY0, [action]), DAY0)).status).toBe('delivered');
    // a new plan, new action id, new wording, same decision: nothing new for a person
    const again = { ...action, actionId: 'a2', reason: 'forecast p90 rises to 13 GPUs' };
    expect((await n.run(planEvent(DAY0 + 15 * MIN, [again]), DAY0 + 15 * MIN)).status).toBe('quiet');
    // carried out now: news
    const done = { ...action, status: 'done' as const, mode: 'enforce' as const };
    expect((await n.run(planEvent(DAY0 + 30 * MIN, [done]), DAY0 + 30 * MIN)).status).toBe('delivered');
    expect(slack.posts).toHaveLength(2);
  });

  it('a run failing the same way is said once a day; a new error is said at once', async () => {
    const n = notifier(webhookOf(() => slack.url));
    const fail = (error: string) => makeEvent('Run Failed', { ...failed.detail, error });
    expect((await n.run(fail('AccessDenied'), DAY0)).status).toBe('delivered');
    expect((await n.run(fail('AccessDenied'), DAY0 + 5 * MIN)).status).toBe('quiet');
    expect((await n.run(fail('Throttled'), DAY0 + 10 * MIN)).status).toBe('delivered');
    expect((await n.run(fail('AccessDenied'), DAY0 + 25 * 60 * MIN)).status).toBe('delivered');
  });
});

describe('undelivered alerts are kept', () => {
  it('after four 5xx the message is in the outbox, counted, and a later run delivers it', async () => {
    const n = notifier(webhookOf(() => slack.url));
    for (let i = 0; i < 4; i++) slack.script.push({ status: 500 });
    const first = await n.run(failed, DAY0);
    expect(first).toMatchObject({ status: 'undelivered', attempts: 4, keptInOutbox: true });
    expect(first.outbox).toEqual({ redelivered: 0, queued: 1, depth: 1, expired: 0 });
    expect(n.logs[0]).toMatchObject({ level: 'ERROR', message: 'Slack undelivered: kept in the outbox' });
    const stored = (await scanTable(table.client, table.tableName)).filter((i) => i.PK === 'OUTBOX');
    expect(stored).toHaveLength(1);

    // the next event, Slack back: the kept message goes first, then the new one
    const second = await n.run(DECISION_EVENTS[1]!, DAY0 + 15 * MIN);
    expect(second.status).toBe('delivered');
    expect(second.outbox).toEqual({ redelivered: 1, queued: 0, depth: 0, expired: 0 });
    const delivered = slack.posts.slice(4).map((p) => (p.body as SlackMessage).text);
    expect(delivered[0]).toContain('Run optimize (aws-ec2-us-east-1) failed');
    expect(delivered[1]).toContain('Idle node i-0abc marked');
  });

  it('a long 429 keeps the message; while Slack is down the rest of the run is kept without a try', async () => {
    const n = notifier(webhookOf(() => slack.url));
    // the kept message fails again: the run's own message is not tried
    slack.script.push({ status: 429, headers: { 'retry-after': '600' } });
    const first = await n.run(DECISION_EVENTS[2]!, DAY0);
    expect(first).toMatchObject({ status: 'undelivered', attempts: 1, keptInOutbox: true });
    slack.script.push({ status: 429, headers: { 'retry-after': '600' } });
    const second = await n.run(DECISION_EVENTS[3]!, DAY0 + MIN);
    expect(second).toMatchObject({ status: 'undelivered', attempts: 0, keptInOutbox: true });
    expect(second.outbox).toMatchObject({ queued: 1, depth: 2 });
    expect(slack.posts).toHaveLength(2);
    const third = await n.run(DECISION_EVENTS[4]!, DAY0 + 2 * MIN);
    expect(third.outbox).toMatchObject({ redelivered: 2, depth: 0 });
    expect(slack.posts.slice(2).map((p) => (p.body as SlackMessage).text.split(' ')[0])).toEqual([
      'Node',
      'Spot',
      'Demand',
    ]);
  });

  it('a message kept for more than two weeks expires, logged, instead of arriving as stale news', async () => {
    const n = notifier(webhookOf(() => slack.url));
    for (let i = 0; i < 4; i++) slack.script.push({ status: 503 });
    await n.run(DECISION_EVENTS[5]!, DAY0);
    const later = await n.run(DECISION_EVENTS[1]!, DAY0 + 15 * 24 * 60 * MIN);
    expect(later.outbox).toMatchObject({ expired: 1, redelivered: 0, depth: 0 });
    // four failed tries, then only the new event
    expect(slack.posts.slice(4).map((p) => (p.body as SlackMessage).text)).toEqual([
      expect.stringContaining('Idle node i-0abc marked'),
    ]);
    expect(n.logs).toContainEqual(expect.objectContaining({ message: 'Slack message expired undelivered' }));
  });
});

describe('threads through a bot token', () => {
  it('replies about the same node go into the thread of its first message', async () => {
    await slack.close();
    slack = await startFakeSlack({ webApi: true });
    const n = notifier((time) =>
      createSlackBot({
        token: 'xoxb-test-token',
        channel: 'C0GPU',
        apiBase: slack.url,
        now: time.now,
        sleep: time.sleep,
      }),
    );
    expect((await n.run(DECISION_EVENTS[1]!, DAY0)).status).toBe('delivered');
    const released = await n.run(DECISION_EVENTS[2]!, DAY0 + 60 * MIN);
    expect(released).toMatchObject({ status: 'delivered', threaded: true });
    const [mark, release] = slack.posts;
    expect(mark!.path).toBe('/api/chat.postMessage');
    expect(mark!.headers.authorization).toBe('Bearer xoxb-test-token');
    expect(mark!.body).toMatchObject({ channel: 'C0GPU' });
    expect((mark!.body as { thread_ts?: string }).thread_ts).toBeUndefined();
    expect((release!.body as { thread_ts?: string }).thread_ts).toBe('1772445600.000001');
  });

  it('a bot the channel refuses falls back to the webhook, unthreaded', async () => {
    const api = await startFakeSlack({ webApi: true });
    try {
      api.script.push({ status: 200, body: JSON.stringify({ ok: false, error: 'not_in_channel' }) });
      const n = notifier((time) =>
        withWebhookFallback(
          createSlackBot({
            token: 'xoxb-test-token',
            channel: 'C0GPU',
            apiBase: api.url,
            now: time.now,
            sleep: time.sleep,
          }),
          createSlackWebhook({ url: slack.url, now: time.now, sleep: time.sleep }),
        ),
      );
      expect((await n.run(DECISION_EVENTS[4]!, DAY0)).status).toBe('delivered');
      expect(api.posts).toHaveLength(1);
      expect(slack.posts).toHaveLength(1);
      expect((slack.posts[0]!.body as SlackMessage).text).toContain('Demand above forecast');
    } finally {
      await api.close();
    }
  });
});
