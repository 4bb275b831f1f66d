// The messages people receive (Slack Block Kit, e-mail) and what the notify run keeps of them between events.
import { z } from 'zod';

export interface TextObject {
  type: 'mrkdwn' | 'plain_text';
  text: string;
}
export type Block =
  | { type: 'header'; text: TextObject }
  | { type: 'section'; text?: TextObject; fields?: TextObject[] }
  | { type: 'context'; elements: TextObject[] }
  | { type: 'divider' };

/** What Slack takes: `text` is the notification and the fallback where blocks are not shown, `blocks` the layout. */
export interface SlackMessage {
  text: string;
  blocks: Block[];
}

export interface EmailMessage {
  from: string;
  to: readonly string[];
  subject: string;
  html: string;
  text: string;
}

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
