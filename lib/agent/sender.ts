// Sends entries with EventBridge PutEvents, retrying only the entries that failed, with backoff and jitter.
import type { PutEntry } from './entries.ts';
import type { PutEventsPort, PutEventsResultEntry } from './put-events.ts';

/** Per-entry codes that will fail the same way however often they are sent: set aside, not retried. */
const PERMANENT_ENTRY_ERRORS = new Set(['MalformedDetail', 'InvalidArgument', 'ValidationException']);

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 200, maxDelayMs: 20_000 };

export interface SenderDeps {
  client: PutEventsPort;
  busName: string;
  retry?: RetryPolicy;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export interface CallOutcome {
  /** Indexes (into the entries given) that EventBridge accepted. */
  accepted: number[];
  /** Entries refused for good, with EventBridge's code and message. */
  rejected: { index: number; error: string }[];
  /** Entries still unsent after every attempt (throttled, unreachable): they stay spooled. */
  pending: number[];
  lastError?: string;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** "Full jitter" backoff: a uniform delay up to base × 2^attempt, capped, so that many agents spread out. */
export function backoffDelayMs(attempt: number, policy: RetryPolicy, random: () => number): number {
  return Math.floor(random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt));
}

/**
 * Puts up to 10 entries (the caller keeps the call under the limits). An entry that fails with a
 * retryable code, or a call that throws, is sent again after a backoff, up to `maxAttempts`.
 */
export async function putEntries(entries: readonly PutEntry[], deps: SenderDeps): Promise<CallOutcome> {
  const policy = deps.retry ?? DEFAULT_RETRY;
  const sleep = deps.sleep ?? realSleep;
  const random = deps.random ?? Math.random;
  const outcome: CallOutcome = { accepted: [], rejected: [], pending: [] };
  let waiting = entries.map((_, i) => i);
  for (let attempt = 0; attempt < policy.maxAttempts && waiting.length > 0; attempt++) {
    if (attempt > 0) await sleep(backoffDelayMs(attempt, policy, random));
    let results: PutEventsResultEntry[];
    try {
      results = await deps.client.putEvents(
        deps.busName,
        waiting.map((i) => entries[i]!),
      );
    } catch (error) {
      outcome.lastError = `${(error as Error).name}: ${(error as Error).message}`;
      continue;
    }
    const retry: number[] = [];
    waiting.forEach((entryIndex, k) => {
      const r = results[k];
      if (r?.EventId && !r.ErrorCode) outcome.accepted.push(entryIndex);
      else if (r?.ErrorCode && PERMANENT_ENTRY_ERRORS.has(r.ErrorCode)) {
        outcome.rejected.push({ index: entryIndex, error: `${r.ErrorCode}: ${r.ErrorMessage ?? ''}` });
      } else {
        outcome.lastError = r?.ErrorCode ? `${r.ErrorCode}: ${r.ErrorMessage ?? ''}` : 'no result for entry';
        retry.push(entryIndex);
      }
    });
    waiting = retry;
  }
  outcome.pending = waiting;
  return outcome;
}
