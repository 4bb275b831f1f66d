// Drains the spool in order through PutEvents; stops at the first call that cannot get through.
import { MAX_EVENT_BYTES } from '../domain/events.ts';
import type { Logger } from '../domain/ports.ts';
import { entrySize, groupIntoCalls } from './entries.ts';
import { putEntries, type SenderDeps } from './sender.ts';
import type { FileSpool } from './spool.ts';

export interface DrainResult {
  sent: number;
  rejected: number;
  /** Entries still spooled; non-zero means EventBridge could not be reached or kept refusing. */
  pending: number;
  error?: string;
}

/** Compacting rewrites the spool; doing it once this many acks have piled up bounds the file's size. */
const COMPACT_AFTER_ACKS = 1000;

export async function drainSpool(
  spool: FileSpool,
  deps: SenderDeps & { logger?: Logger },
): Promise<DrainResult> {
  const result: DrainResult = { sent: 0, rejected: 0, pending: 0 };
  const pending = spool.pending();
  const oversize = pending.filter((r) => entrySize(r.entry) >= MAX_EVENT_BYTES);
  if (oversize.length > 0) {
    await spool.reject(
      oversize.map((record) => ({ record, error: 'EntryTooLarge: over the PutEvents limit' })),
    );
    result.rejected += oversize.length;
  }
  const calls = groupIntoCalls(
    pending.filter((r) => !oversize.includes(r)),
    (r) => entrySize(r.entry),
  );
  for (const call of calls) {
    const outcome = await putEntries(
      call.map((r) => r.entry),
      deps,
    );
    await spool.ack(outcome.accepted.map((i) => call[i]!.seq));
    await spool.reject(outcome.rejected.map(({ index, error }) => ({ record: call[index]!, error })));
    result.sent += outcome.accepted.length;
    result.rejected += outcome.rejected.length;
    for (const { index, error } of outcome.rejected) {
      deps.logger?.log('error', 'EventBridge refused an entry for good; set aside in rejected.jsonl', {
        seq: call[index]!.seq,
        error,
      });
    }
    if (outcome.pending.length > 0) {
      result.error = outcome.lastError ?? 'entries left unsent';
      break;
    }
  }
  result.pending = spool.pending().length;
  if (result.pending === 0 || spool.ackedCount >= COMPACT_AFTER_ACKS) await spool.compact();
  return result;
}
