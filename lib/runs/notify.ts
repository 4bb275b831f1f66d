// The notify run: a decision event from the bus in; Slack hears what is new or needs a person, a daily digest the rest; undelivered messages are kept and retried.
import { randomUUID } from 'node:crypto';
import { parseWireEvent } from '../domain/events.ts';
import { toRfc3339, utcDate } from '../domain/time.ts';
import type { OutboxMessage, QuietEvent, SlackMessage } from '../domain/notify.ts';
import type { DeliveryOutcome, NotifyState, SlackTransport } from '../domain/ports.ts';
import { digestMessage, slackMessage, type DigestEntry } from '../notify/slack/blocks.ts';
import { alertPolicy } from '../notify/slack/policy.ts';
import { OUTBOX_TTL_MS } from '../store/outbox.ts';

/** An EventBridge event as Lambda receives it. */
export interface BusEvent {
  source: string;
  'detail-type': string;
  detail: unknown;
  time?: string;
}

/** Outbox messages retried per run: a few, so a run stays well inside its timeout while Slack recovers. */
export const OUTBOX_DRAIN_PER_RUN = 10;
/** Past days whose digest one run may send (the notify function may have been quiet for days). */
export const DIGESTS_PER_RUN = 3;

export interface OutboxCounts {
  /** Kept messages delivered in this run. */
  redelivered: number;
  /** Messages Slack did not take in this run, now in the outbox (the SlackUndelivered metric). */
  queued: number;
  /** Messages waiting after the run (the SlackOutboxDepth metric). */
  depth: number;
  /** Kept messages dropped in this run because they outlived the outbox's two weeks. */
  expired: number;
}

/** What became of the run's own event. */
export type EventOutcome =
  | { status: 'delivered'; detailType: string; attempts: number; threaded: boolean }
  | { status: 'undelivered'; detailType: string; attempts: number; error: string; keptInOutbox: boolean }
  | { status: 'quiet'; detailType: string; reason: string }
  | { status: 'skipped'; detailType: string; reason: string };

export type NotifyResult = EventOutcome & {
  outbox: OutboxCounts;
  digests: { day: string; events: number; status: 'delivered' | 'undelivered' }[];
};

export interface NotifyPorts {
  slack: SlackTransport;
  log: (entry: Record<string, unknown>) => void;
  /**
   * What the run remembers in the table. Without it every decision is posted and an undelivered one is only
   * logged: a webhook with no table behind it, as in a test of the messages alone.
   */
  state?: NotifyState;
  now?: () => number;
}

interface RunContext {
  ports: NotifyPorts;
  nowMs: number;
  /** Set by the first retryable failure: later messages of the run go to the outbox without a try. */
  slackDownError?: string;
  counts: OutboxCounts;
}

export async function runNotify(ports: NotifyPorts, event: BusEvent): Promise<NotifyResult> {
  const ctx: RunContext = {
    ports,
    nowMs: ports.now?.() ?? Date.now(),
    counts: { redelivered: 0, queued: 0, depth: 0, expired: 0 },
  };
  if (ports.state) await drainOutbox(ctx, ports.state);
  const outcome = await handleEvent(ctx, event);
  const digests = ports.state ? await sendDueDigests(ctx, ports.state) : [];
  if (ports.state) ctx.counts.depth = await ports.state.outbox.depth();
  return { ...outcome, outbox: ctx.counts, digests };
}

async function handleEvent(ctx: RunContext, event: BusEvent): Promise<EventOutcome> {
  const { ports } = ctx;
  const detailType = String(event['detail-type']);
  const parsed = parseWireEvent({ source: event.source, detailType, detail: event.detail });
  if (!parsed.ok) {
    // A malformed event will not improve on redelivery: log it and drop it.
    ports.log({ level: 'WARN', message: 'event not notifiable', detailType, error: parsed.error });
    return { status: 'skipped', detailType, reason: parsed.error };
  }
  const message = slackMessage(parsed.event);
  if (!message) return { status: 'skipped', detailType, reason: 'no Slack message for this event' };
  const state = ports.state;
  if (!state) {
    const outcome = await ports.slack.send(message);
    if (outcome.delivered)
      return { status: 'delivered', detailType, attempts: outcome.attempts, threaded: false };
    ports.log({ level: 'ERROR', message: 'Slack undelivered', detailType, error: outcome.error });
    return {
      status: 'undelivered',
      detailType,
      attempts: outcome.attempts,
      error: outcome.error,
      keptInOutbox: false,
    };
  }

  const policy = alertPolicy(parsed.event);
  if (policy.quiet || (await state.seen(policy.fingerprint, ctx.nowMs))) {
    // EventBridge's time is the same on redelivery, so a redelivered quiet event rewrites its own item.
    const atMs = event.time && Number.isFinite(Date.parse(event.time)) ? Date.parse(event.time) : ctx.nowMs;
    const quiet: QuietEvent = {
      at: toRfc3339(atMs),
      detailType,
      fingerprint: policy.fingerprint,
      line: policy.digestLine,
    };
    await state.recordQuiet(quiet);
    return {
      status: 'quiet',
      detailType,
      reason: policy.quiet ? 'nothing to act on: in the daily digest' : 'already posted: in the daily digest',
    };
  }
  const outcome = await deliver(ctx, state, message, policy.threadKey, detailType);
  // Remembered however it went: an undelivered message is in the outbox, so it is not posted twice either.
  await state.remember(policy.fingerprint, ctx.nowMs + policy.rememberMs);
  if (outcome.delivered)
    return { status: 'delivered', detailType, attempts: outcome.attempts, threaded: outcome.threaded };
  return {
    status: 'undelivered',
    detailType,
    attempts: outcome.attempts,
    error: outcome.error,
    keptInOutbox: true,
  };
}

type Delivery =
  (DeliveryOutcome & { delivered: true; threaded: boolean }) | (DeliveryOutcome & { delivered: false });

/** Posts one message (in its subject's thread where the transport threads); on failure it goes to the outbox. */
async function deliver(
  ctx: RunContext,
  state: NotifyState,
  message: SlackMessage,
  threadKey: string | undefined,
  detailType: string,
  kept?: OutboxMessage,
): Promise<Delivery> {
  const { slack, log } = ctx.ports;
  let outcome: DeliveryOutcome;
  let threadTs: string | undefined;
  if (ctx.slackDownError !== undefined) {
    outcome = { delivered: false, attempts: 0, error: ctx.slackDownError, retryable: true };
  } else {
    threadTs = slack.threads && threadKey ? await state.thread(threadKey) : undefined;
    outcome = await slack.send(message, threadTs ? { threadTs } : {});
  }
  if (outcome.delivered) {
    if (slack.threads && threadKey && !threadTs && outcome.ts)
      await state.rememberThread(threadKey, outcome.ts, ctx.nowMs);
    if (kept) await state.outbox.remove(kept);
    return { ...outcome, threaded: threadTs !== undefined };
  }
  if (outcome.retryable && ctx.slackDownError === undefined)
    ctx.slackDownError = `not tried: Slack failed earlier in this run (${outcome.error})`;
  const entry: OutboxMessage = kept
    ? { ...kept, attempts: kept.attempts + outcome.attempts, lastError: outcome.error }
    : {
        id: randomUUID(),
        queuedAt: toRfc3339(ctx.nowMs),
        message,
        ...(threadKey ? { threadKey } : {}),
        detailType,
        attempts: outcome.attempts,
        lastError: outcome.error,
      };
  await state.outbox.put(entry);
  if (!kept) {
    ctx.counts.queued++;
    log({
      level: 'ERROR',
      message: 'Slack undelivered: kept in the outbox',
      detailType,
      error: outcome.error,
    });
  }
  return outcome;
}

/** The oldest kept messages first; a retryable failure ends the drain (Slack is still down). */
async function drainOutbox(ctx: RunContext, state: NotifyState): Promise<void> {
  for (const kept of await state.outbox.oldest(OUTBOX_DRAIN_PER_RUN)) {
    if (Date.parse(kept.queuedAt) + OUTBOX_TTL_MS <= ctx.nowMs) {
      await state.outbox.remove(kept);
      ctx.counts.expired++;
      ctx.ports.log({
        level: 'ERROR',
        message: 'Slack message expired undelivered',
        detailType: kept.detailType,
        error: kept.lastError,
      });
      continue;
    }
    const outcome = await deliver(ctx, state, kept.message, kept.threadKey, kept.detailType, kept);
    if (outcome.delivered) ctx.counts.redelivered++;
    if (ctx.slackDownError !== undefined) return;
  }
}

/** Each past UTC day with quiet events gets one digest, claimed in the table so two runs never both send it. */
async function sendDueDigests(ctx: RunContext, state: NotifyState): Promise<NotifyResult['digests']> {
  const sent: NotifyResult['digests'] = [];
  const due = await state.digestDaysDue(utcDate(ctx.nowMs));
  for (const day of due.slice(0, DIGESTS_PER_RUN)) {
    if (!(await state.claimDigest(day, ctx.nowMs))) continue;
    const quiet = await state.quietOn(day);
    const message = digestMessage(day, digestEntries(quiet));
    const outcome = await deliver(ctx, state, message, undefined, 'Daily Digest');
    sent.push({ day, events: quiet.length, status: outcome.delivered ? 'delivered' : 'undelivered' });
  }
  return sent;
}

/** Quiet events that said the same thing, counted once with their latest time. */
export function digestEntries(quiet: readonly QuietEvent[]): DigestEntry[] {
  const byLine = new Map<string, DigestEntry>();
  for (const q of quiet) {
    const key = `${q.detailType}\n${q.line}`;
    const entry = byLine.get(key);
    if (!entry) byLine.set(key, { detailType: q.detailType, line: q.line, count: 1, lastAt: q.at });
    else {
      entry.count++;
      if (q.at > entry.lastAt) entry.lastAt = q.at;
    }
  }
  return [...byLine.values()];
}
