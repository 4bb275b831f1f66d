// Posts messages with a bot token through the Web API's chat.postMessage: the one Slack transport that can thread.
import type { SlackMessage } from '../../domain/notify.ts';
import type { SlackTransport } from '../../domain/ports.ts';
import { cachedSecret, createRetryingSender, type RetryOptions, type Verdict } from './webhook.ts';

export const SLACK_API_BASE = 'https://slack.com/api';

export interface SlackBotOptions extends RetryOptions {
  /** The bot token (xoxb-…), or how to get it (from Secrets Manager at cold start). */
  token: string | (() => Promise<string>);
  /** Channel id (C…) or name the bot is a member of. */
  channel: string;
  /** The Web API's base URL; tests point it at a server of their own. */
  apiBase?: string;
}

/** Web API errors that a later try can fix; every other `ok: false` is final (bad token, unknown channel). */
const TRANSIENT_ERRORS = new Set([
  'ratelimited',
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
]);

/** The Web API answers 200 with `{ok: false, error}` for most failures. */
export function webApiVerdict(status: number, body: string): Verdict {
  if (status >= 500) return { ok: false, retry: true, error: `HTTP ${status}: ${body.slice(0, 200)}` };
  let parsed: { ok?: unknown; ts?: unknown; error?: unknown } = {};
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    return { ok: false, retry: false, error: `HTTP ${status}: not a Web API answer: ${body.slice(0, 200)}` };
  }
  if (status < 300 && parsed.ok === true)
    return typeof parsed.ts === 'string' ? { ok: true, ts: parsed.ts } : { ok: true };
  const error = typeof parsed.error === 'string' ? parsed.error : `HTTP ${status}`;
  return { ok: false, retry: TRANSIENT_ERRORS.has(error), error: `chat.postMessage: ${error}` };
}

export function createSlackBot(options: SlackBotOptions): SlackTransport {
  const token = cachedSecret(options.token);
  const base = (options.apiBase ?? SLACK_API_BASE).replace(/\/$/, '');
  const send = createRetryingSender({
    ...options,
    request: async (message: SlackMessage, { threadTs }) => ({
      url: `${base}/chat.postMessage`,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        authorization: `Bearer ${await token.get()}`,
      },
      body: JSON.stringify({
        channel: options.channel,
        text: message.text,
        blocks: message.blocks,
        ...(threadTs ? { thread_ts: threadTs } : {}),
        // Links in node ids or errors are not expanded into previews.
        unfurl_links: false,
        unfurl_media: false,
      }),
    }),
    verdict: webApiVerdict,
    onRequestError: token.forget,
  });
  return { threads: true, send };
}

/**
 * The bot where it can post, the webhook where it cannot: a final bot failure (token revoked, bot removed
 * from the channel) is retried once through the webhook, unthreaded, so the alert still lands.
 */
export function withWebhookFallback(primary: SlackTransport, webhook: SlackTransport): SlackTransport {
  return {
    threads: primary.threads,
    async send(message, options) {
      const first = await primary.send(message, options);
      if (first.delivered || first.retryable) return first;
      const second = await webhook.send(message);
      return second.delivered
        ? second
        : {
            ...second,
            error: `${first.error}; webhook: ${second.error}`,
            attempts: first.attempts + second.attempts,
          };
    },
  };
}
