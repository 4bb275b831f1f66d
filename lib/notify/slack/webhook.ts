// Posts messages to a Slack incoming webhook: spaced to Slack's rate, retried on 429 and 5xx, never throwing; the
// delivery loop here is shared with the bot transport (bot.ts).
import type { SlackMessage } from '../../domain/notify.ts';
import type { DeliveryOutcome, SendOptions, SlackTransport } from '../../domain/ports.ts';

/** Slack allows about one message per second per incoming webhook. */
export const DEFAULT_MIN_INTERVAL_MS = 1000;
export const DEFAULT_MAX_ATTEMPTS = 4;
/** A Retry-After longer than this is not waited for: the message is given up, the run goes on. */
export const DEFAULT_MAX_WAIT_MS = 20_000;
const BACKOFF_BASE_MS = 500;
const REQUEST_TIMEOUT_MS = 5000;

/** The incoming-webhook transport. */
export type SlackWebhook = SlackTransport;

export interface RetryOptions {
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  minIntervalMs?: number;
  maxAttempts?: number;
  maxWaitMs?: number;
}

export interface SlackWebhookOptions extends RetryOptions {
  /** The webhook URL, or how to get it (from Secrets Manager at cold start). */
  url: string | (() => Promise<string>);
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Retry-After in seconds (Slack's form) or an HTTP date, as milliseconds. */
export function retryAfterMs(header: string | null, nowMs: number): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(header);
  return Number.isFinite(at) ? Math.max(0, at - nowMs) : undefined;
}

/** How a transport reads one answer: delivered, worth another try, or final. */
export type Verdict = { ok: true; ts?: string } | { ok: false; retry: boolean; error: string };

export interface PostRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * The delivery loop both transports share: one request at a time at Slack's pace, 429 waited out as
 * Retry-After says (up to maxWaitMs), 5xx and network errors retried with backoff, never throwing.
 */
export function createRetryingSender(
  options: RetryOptions & {
    /** The request to make; may fetch a secret (a failure is retried like a network error). */
    request: (message: SlackMessage, send: SendOptions) => Promise<PostRequest>;
    /** Reads a non-429 answer. */
    verdict: (status: number, body: string) => Verdict;
    /** Called when request() failed, so a cached secret read can be dropped. */
    onRequestError?: () => Promise<void>;
  },
): (message: SlackMessage, send?: SendOptions) => Promise<DeliveryOutcome> {
  const fetchImpl = options.fetch ?? fetch;
  const sleep = options.sleep ?? defaultSleep;
  const now = options.now ?? Date.now;
  const minInterval = options.minIntervalMs ?? DEFAULT_MIN_INTERVAL_MS;
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const maxWait = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
  // Sends are chained so that concurrent callers share one rate limit.
  let queue: Promise<unknown> = Promise.resolve();
  let nextAllowedMs = 0;

  async function attempt(message: SlackMessage, send: SendOptions): Promise<DeliveryOutcome> {
    let lastError = 'not sent';
    for (let attempts = 1; attempts <= maxAttempts; attempts++) {
      const wait = nextAllowedMs - now();
      if (wait > 0) await sleep(wait);
      nextAllowedMs = now() + minInterval;
      let retryIn: number | undefined;
      try {
        const request = await options.request(message, send).catch(async (error: unknown) => {
          await options.onRequestError?.();
          throw error;
        });
        const response = await fetchImpl(request.url, {
          method: 'POST',
          headers: request.headers,
          body: request.body,
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        const body = await response.text();
        if (response.status === 429) {
          lastError = `HTTP 429: ${body.slice(0, 200)}`;
          retryIn =
            retryAfterMs(response.headers.get('retry-after'), now()) ?? BACKOFF_BASE_MS * 2 ** attempts;
          if (retryIn > maxWait)
            return {
              delivered: false,
              attempts,
              error: `${lastError} (retry after ${retryIn} ms)`,
              retryable: true,
            };
        } else {
          const verdict = options.verdict(response.status, body);
          if (verdict.ok) return { delivered: true, attempts, ...(verdict.ts ? { ts: verdict.ts } : {}) };
          lastError = verdict.error;
          if (!verdict.retry) return { delivered: false, attempts, error: lastError, retryable: false };
        }
      } catch (error) {
        lastError = (error as Error).message;
      }
      if (attempts < maxAttempts) {
        const delay = retryIn ?? BACKOFF_BASE_MS * 2 ** (attempts - 1);
        nextAllowedMs = Math.max(nextAllowedMs, now() + delay);
      }
    }
    return { delivered: false, attempts: maxAttempts, error: lastError, retryable: true };
  }

  return (message, send = {}) => {
    const result = queue.then(() => attempt(message, send));
    queue = result.catch(() => undefined);
    return result.catch((error: unknown) => ({
      delivered: false as const,
      attempts: 0,
      error: (error as Error).message,
      retryable: true,
    }));
  };
}

/** A secret read once and kept; a failed read is forgotten so the next message tries again. */
export function cachedSecret(read: string | (() => Promise<string>)) {
  let value: Promise<string> | undefined;
  return {
    get: () => (value ??= typeof read === 'string' ? Promise.resolve(read) : read()),
    forget: async () => {
      if (
        value &&
        (await value.then(
          () => false,
          () => true,
        ))
      )
        value = undefined;
    },
  };
}

export function createSlackWebhook(options: SlackWebhookOptions): SlackWebhook {
  const url = cachedSecret(options.url);
  const send = createRetryingSender({
    ...options,
    request: async (message) => ({
      url: await url.get(),
      headers: { 'content-type': 'application/json' },
      // An incoming webhook posts to its own channel and cannot reply in a thread.
      body: JSON.stringify(message),
    }),
    verdict: (status, body) =>
      status >= 200 && status < 300
        ? { ok: true }
        : // A 4xx other than 429 (bad payload, revoked webhook) will not get better by retrying.
          { ok: false, retry: status >= 500, error: `HTTP ${status}: ${body.slice(0, 200)}` },
    onRequestError: url.forget,
  });
  return { threads: false, send: (message) => send(message) };
}
