// The agent loop: sample every interval, cut one batch per window, spool and send it; failures never end it.
import { MAX_EVENT_BYTES } from '../domain/events.ts';
import type { BatchSink, Clock, Logger } from '../domain/ports.ts';
import type { UtilizationBatch } from '../domain/usage.ts';
import { drainSpool, type DrainResult } from './drain.ts';
import { batchEntry, batchEntrySize } from './entries.ts';
import type { JobResolver } from './jobs.ts';
import type { LoginSource } from './logins.ts';
import { NvidiaSmiFailedError, NvidiaSmiFormatError } from './nvidia-smi.ts';
import type { SenderDeps } from './sender.ts';
import type { SampleSource } from './sources.ts';
import type { FileSpool } from './spool.ts';
import { splitToFit, WindowBatcher } from './window.ts';

/** Splits batches that would be too large, then hands each to `print` as one JSON event. */
export function printSink(print: (event: unknown) => void): BatchSink {
  return {
    async deliver(batches) {
      for (const b of batches.flatMap((b) => splitToFit(b, batchEntrySize, MAX_EVENT_BYTES))) {
        const entry = batchEntry(b);
        print({ source: entry.Source, 'detail-type': entry.DetailType, detail: b });
      }
    },
    async retry() {},
  };
}

/**
 * Spools every batch before sending, then drains in order. While EventBridge is unreachable, a drain is
 * tried again on later ticks, spaced by a growing delay.
 */
export function spoolSink(
  spool: FileSpool,
  sender: SenderDeps,
  logger: Logger,
  clock: Clock,
  retryEveryMs = 30_000,
): BatchSink & { lastDrain?: DrainResult } {
  let nextTryMs = 0;
  let failures = 0;
  const sink: BatchSink & { lastDrain?: DrainResult } = {
    async deliver(batches) {
      const parts = batches.flatMap((b) => splitToFit(b, batchEntrySize, MAX_EVENT_BYTES));
      await spool.append(parts.map(batchEntry));
      nextTryMs = 0;
      await sink.retry();
    },
    async retry() {
      if (spool.pending().length === 0 || clock.now() < nextTryMs) return;
      const result = await drainSpool(spool, { ...sender, logger });
      sink.lastDrain = result;
      if (result.pending > 0) {
        failures++;
        nextTryMs = clock.now() + Math.min(retryEveryMs * 2 ** (failures - 1), 10 * 60_000);
        logger.log('warn', 'EventBridge unreachable; events stay spooled', {
          pending: result.pending,
          error: result.error,
          retryAt: new Date(nextTryMs).toISOString(),
        });
      } else {
        if (failures > 0) logger.log('info', 'spool drained', { sent: result.sent });
        failures = 0;
      }
    },
  };
  return sink;
}

export interface AgentDeps {
  source: SampleSource;
  batcher: WindowBatcher;
  sink: BatchSink;
  jobs: JobResolver;
  logins: LoginSource;
  clock: Clock;
  logger: Logger;
  sleep: (ms: number) => Promise<void>;
  intervalMs: number;
  /** Take one sample, send its (partial) window, stop. */
  once?: boolean;
  /** Stops the loop after the current tick; the open window is flushed and sent. */
  signal?: AbortSignal;
}

export interface AgentSummary {
  samples: number;
  batches: number;
  failedSamples: number;
  /** The last sampling error, when the agent ended without a single sample (exit code 1 for --once). */
  error?: string;
}

/** A failed nvidia-smi is retried later, less often the longer it keeps failing, up to every 5 minutes. */
const MAX_FAILURE_DELAY_MS = 5 * 60_000;

export async function runAgent(deps: AgentDeps): Promise<AgentSummary> {
  const summary: AgentSummary = { samples: 0, batches: 0, failedSamples: 0 };
  let consecutiveFailures = 0;
  const deliver = async (batches: UtilizationBatch[]) => {
    if (batches.length === 0) return;
    summary.batches += batches.length;
    await deps.sink.deliver(batches);
  };
  while (!deps.signal?.aborted) {
    const nowMs = deps.clock.now();
    let delayMs = deps.intervalMs;
    try {
      const raw = await deps.source.next(nowMs);
      if (raw === undefined) break;
      const pids = raw.apps.map((a) => a.pid);
      const [jobs, lastLoginAt] = await Promise.all([
        pids.length ? deps.jobs.labelsFor(pids) : Promise.resolve(new Map()),
        deps.source.live ? deps.logins.lastLoginAt(nowMs).catch(() => null) : Promise.resolve(null),
      ]);
      await deliver(deps.batcher.add({ gpus: raw.gpus, apps: raw.apps, jobs, lastLoginAt }));
      summary.samples++;
      consecutiveFailures = 0;
    } catch (error) {
      if (!(error instanceof NvidiaSmiFailedError || error instanceof NvidiaSmiFormatError)) throw error;
      summary.failedSamples++;
      summary.error = error.message;
      consecutiveFailures++;
      delayMs = Math.min(deps.intervalMs * 2 ** Math.min(consecutiveFailures, 10), MAX_FAILURE_DELAY_MS);
      deps.logger.log('error', 'sample failed', {
        error: error.message,
        consecutiveFailures,
        nextTryInMs: delayMs,
      });
      if (!deps.source.live) break;
    }
    if (deps.once) break;
    await deps.sink
      .retry()
      .catch((e: Error) => deps.logger.log('error', 'drain failed', { error: e.message }));
    if (deps.source.live && !deps.signal?.aborted) await deps.sleep(delayMs);
  }
  await deliver(deps.batcher.flush());
  if (summary.samples > 0) summary.error = undefined;
  return summary;
}
