// The times a message dates its facts at, and the check that none lies ahead of the ingest clock.
import { MAX_CLOCK_SKEW_MS, toRfc3339 } from '../domain/time.ts';
import type { IngestMessage } from './records.ts';

/** Every time a message states a fact at, with the field it is in. */
function* factTimes(message: IngestMessage): Generator<[field: string, time: string]> {
  switch (message.kind) {
    case 'utilization': {
      const { batch } = message;
      yield ['detail.windowStart', batch.windowStart];
      if (batch.lastLoginAt) yield ['detail.lastLoginAt', batch.lastLoginAt];
      for (const [g, gpu] of batch.gpus.entries()) {
        for (const [r, reading] of gpu.readings.entries())
          yield [`detail.gpus[${g}].readings[${r}].at`, reading.at];
      }
      return;
    }
    case 'snapshot': {
      yield ['detail.takenAt', message.snapshot.takenAt];
      for (const [i, node] of message.snapshot.nodes.entries()) {
        for (const key of [
          'lastSeenAt',
          'lastBusyAt',
          'lastLoginAt',
          'launchedAt',
          'interruptionNoticeAt',
        ] as const) {
          const time = node[key];
          if (time) yield [`detail.nodes[${i}].${key}`, time];
        }
      }
      return;
    }
    default:
      yield ['time', message.time];
  }
}

function describeAhead(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} h` : `${Math.round(hours / 24)} days`;
}

/**
 * Why a message is refused for a fact dated beyond the clock-skew bound, or undefined when none is. Such a
 * fact would be the newest until its date passes and hide every true one (a batch stamped 2099 would keep a
 * node's running jobs at what it said, for ever).
 */
export function futureFactError(message: IngestMessage, nowMs: number): string | undefined {
  const limitMs = nowMs + MAX_CLOCK_SKEW_MS;
  for (const [field, time] of factTimes(message)) {
    // Already validated as RFC 3339: Date.parse reads it as parseRfc3339 would, without the regex again.
    const atMs = Date.parse(time);
    if (atMs > limitMs) {
      return (
        `${field}: ${time} is ${describeAhead(atMs - nowMs)} ahead of the ingest clock (${toRfc3339(nowMs)}); ` +
        `at most ${MAX_CLOCK_SKEW_MS / 60_000} min of clock skew is accepted: check the producer's clock (NTP)`
      );
    }
  }
  return undefined;
}
