// What the notify run remembers between events: fingerprints already posted, threads, quiet events for the digest, the outbox.
import { z } from 'zod';
import type { SlackMessage } from './slack/blocks.ts';

const zTime = z.iso.datetime();

/** A message Slack did not take after every retry, kept for a later run. */
export const zOutboxMessage = z.object({
  id: z.string().min(1).max(128),
  queuedAt: zTime,
  message: z.object({
    text: z.string(),
    blocks: z.array(z.looseObject({ type: z.string() })),
  }),
  /** The subject's thread, to reply in when the transport threads. */
  threadKey: z.string().max(512).optional(),
  detailType: z.string(),
  attempts: z.number().int().min(0),
  lastError: z.string(),
});
export type OutboxMessage = Omit<z.infer<typeof zOutboxMessage>, 'message'> & { message: SlackMessage };

/** An event that did not need a person: it waits for its day's digest. */
export const zQuietEvent = z.object({
  at: zTime,
  detailType: z.string(),
  fingerprint: z.string().min(1).max(512),
  line: z.string(),
});
export type QuietEvent = z.infer<typeof zQuietEvent>;

export interface Outbox {
  /** Adds a message, or rewrites it (same id and queuedAt) with its new attempt count and error. */
  put(message: OutboxMessage): Promise<void>;
  /** The oldest messages first. */
  oldest(limit: number): Promise<OutboxMessage[]>;
  remove(message: OutboxMessage): Promise<void>;
  depth(): Promise<number>;
}

export interface NotifyState {
  /** Whether the fingerprint was posted and is still remembered at `nowMs`. */
  seen(fingerprint: string, nowMs: number): Promise<boolean>;
  remember(fingerprint: string, untilMs: number): Promise<void>;
  /** The Slack timestamp of the first message about a subject, to reply in its thread. */
  thread(threadKey: string): Promise<string | undefined>;
  rememberThread(threadKey: string, ts: string, nowMs: number): Promise<void>;
  recordQuiet(event: QuietEvent): Promise<void>;
  /** Days (yyyy-mm-dd) before `beforeDay` that hold quiet events and whose digest nobody has claimed. */
  digestDaysDue(beforeDay: string): Promise<string[]>;
  quietOn(day: string): Promise<QuietEvent[]>;
  /** Claims a day's digest: true for the one run that gets to send it. */
  claimDigest(day: string, nowMs: number): Promise<boolean>;
  outbox: Outbox;
}
