// The notify run: a decision event from the bus in, one Slack message out; Slack being down never fails it.
import { parseWireEvent } from '../domain/events.ts';
import type { SlackWebhook } from '../notify/slack/webhook.ts';
import { slackMessage } from '../notify/slack/blocks.ts';

/** An EventBridge event as Lambda receives it. */
export interface BusEvent {
  source: string;
  'detail-type': string;
  detail: unknown;
  time?: string;
}

export type NotifyResult =
  | { status: 'delivered'; detailType: string; attempts: number }
  | { status: 'undelivered'; detailType: string; attempts: number; error: string }
  | { status: 'skipped'; detailType: string; reason: string };

export interface NotifyPorts {
  slack: SlackWebhook;
  log: (entry: Record<string, unknown>) => void;
}

export async function runNotify(ports: NotifyPorts, event: BusEvent): Promise<NotifyResult> {
  const detailType = String(event['detail-type']);
  const parsed = parseWireEvent({ source: event.source, detailType, detail: event.detail });
  if (!parsed.ok) {
    // A malformed event will not improve on redelivery: log it and drop it.
    ports.log({ level: 'WARN', message: 'event not notifiable', detailType, error: parsed.error });
    return { status: 'skipped', detailType, reason: parsed.error };
  }
  const message = slackMessage(parsed.event);
  if (!message) return { status: 'skipped', detailType, reason: 'no Slack message for this event' };
  const outcome = await ports.slack.send(message);
  if (outcome.delivered) return { status: 'delivered', detailType, attempts: outcome.attempts };
  ports.log({ level: 'ERROR', message: 'Slack undelivered', detailType, error: outcome.error });
  return { status: 'undelivered', detailType, attempts: outcome.attempts, error: outcome.error };
}
