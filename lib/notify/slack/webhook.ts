// Posts messages to a Slack incoming webhook: spaced to Slack's rate, retried on 429 and 5xx, never throwing.
import type { SlackMessage } from './blocks.ts';

/** Slack allows about one message per second per incoming webhook. */
export const DEFAULT_MIN_INTERVAL_MS = 1000;
export const DEFAULT_MAX_ATTEMPTS = 4;
/** A Retry-After longer than this is not waited for: the message is given up, the run goes on. */
export const DEFAULT_MAX_WAIT_MS = 20_000;
const BACKOFF_BASE_MS = 500;
const REQUEST_TIMEOUT_MS = 5000;

export type DeliveryOutcome =
  { delivered: true; attempts: number } | { delivered: false; attempts: number; error: string };

export interface SlackWebhookOptions {
  /** The webhook URL, or how to get it (from Secrets Manager at cold start). */
  url: string | (() => Promise<string>);
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  minIntervalMs?: number;
  maxAttempts?: number;
  maxWaitMs?: number;
}

export interface SlackWebhook {
  /** Delivers one message or says why not; a Slack outage is an outcome, never an exception. */
  send(message: SlackMessage): Promise<DeliveryOutcome>;
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

export function createSlackWebhook(options: SlackWebhookOptions): SlackWebhook {
  const fetchImpl = options.fetch ?? fetch;
  const sleep = options.sleep ?? defaultSleep;
  const now = options.now ?? Date.now;
  const minInterval = options.minIntervalMs ?? DEFAULT_MIN_INTERVAL_MS;
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const maxWait = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
  let url: Promise<string> | undefined;
  // Sends are chained so that concurrent callers share one rate limit.
  let queue: Promise<unknown> = Promise.resolve();
  let nextAllowedMs = 0;

  async function attempt(message: SlackMessage): Promise<DeliveryOutcome> {
    let lastError = 'not sent';
    for (let attempts = 1; attempts <= maxAttempts; attempts++) {
      const wait = nextAllowedMs - now();
      if (wait > 0) await sleep(wait);
      nextAllowedMs = now() + minInterval;
      let retryIn: number | undefined;
      try {
        url ??= typeof options.url === 'string' ? Promise.resolve(options.url) : options.url();
        const response = await fetchImpl(await url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(message),
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        const body = await response.text();
        if (response.ok) return { delivered: true, attempts };
        lastError = `HTTP ${response.status}: ${body.slice(0, 200)}`;
        if (response.status === 429) {
          retryIn =
            retryAfterMs(response.headers.get('retry-after'), now()) ?? BACKOFF_BASE_MS * 2 ** attempts;
          if (retryIn > maxWait)
            return { delivered: false, attempts, error: `${lastError} (retry after ${retryIn} ms)` };
        } else if (response.status < 500) {
          // A 4xx other than 429 (bad payload, revoked webhook) will not get better by retrying.
          return { delivered: false, attempts, error: lastError };
        }
      } catch (error) {
        lastError = (error as Error).message;
        // The URL could not be read: drop the cached failure so the next message tries again.
        if (
          typeof options.url !== 'string' &&
          (await url?.then(
            () => false,
            () => true,
          ))
        )
          url = undefined;
      }
      if (attempts < maxAttempts) {
        const delay = retryIn ?? BACKOFF_BASE_MS * 2 ** (attempts - 1);
        nextAllowedMs = Math.max(nextAllowedMs, now() + delay);
      }
    }
    return { delivered: false, attempts: maxAttempts, error: lastError };
  }

  return {
    send(message) {
      const result = queue.then(() => attempt(message));
      queue = result.catch(() => undefined);
      return result.catch((error: unknown) => ({
        delivered: false as const,
        attempts: 0,
        error: (error as Error).message,
      }));
    },
  };
}
