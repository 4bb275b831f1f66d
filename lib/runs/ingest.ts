// The ingest run: validates a batch of queue records, writes window rollups and updates fleet state.
import type { Clock, Logger, Store } from '../domain/ports.ts';
import { rollupBatch, type WindowRollup } from '../domain/usage.ts';
import { futureFactError } from '../ingest/fact-times.ts';
import { nodeMessagesOf, type NodeMessage } from '../ingest/fleet-state.ts';
import { writeNodeMessages, type NodeWriteOutcome } from '../ingest/node-writes.ts';
import { parseRecordBody, type IngestMessage } from '../ingest/records.ts';

/** The part of an SQS record ingest reads. */
export interface IngestRecord {
  messageId: string;
  body: string;
}

export interface IngestDeps {
  store: Pick<Store, 'rollups' | 'nodes'>;
  clock: Clock;
  logger: Logger;
}

/** A record that was not stored, and why. */
export interface IngestFailure {
  messageId: string;
  reason: string;
}

export interface IngestResult {
  /**
   * Records to be delivered again (and, after the queue's retries, to land in the DLQ): the SQS partial
   * batch response. Every other record of the batch is stored.
   */
  batchItemFailures: { itemIdentifier: string }[];
  /** The same records, in the batch's order, each with the reason it failed. */
  failures: IngestFailure[];
}

interface RollupGroup {
  rollup: WindowRollup;
  messageIds: string[];
}

/** Errors of a store that is busy or down, not of an item it cannot hold: splitting the write cannot help. */
function isTransient(error: unknown): boolean {
  const e = error as { name?: string; $retryable?: unknown };
  return (
    e.$retryable !== undefined ||
    ['BatchWriteIncompleteError', 'ProvisionedThroughputExceededException', 'ThrottlingException'].includes(
      e.name ?? '',
    )
  );
}

/**
 * Writes rollups; when the write fails for an item the store cannot hold, halves the batch until that item
 * fails alone, so that its batch-mates are stored. A write is keyed, so writing an item twice is harmless.
 */
async function putIsolating(
  put: (rollups: WindowRollup[]) => Promise<void>,
  groups: readonly RollupGroup[],
): Promise<Map<RollupGroup, Error>> {
  if (groups.length === 0) return new Map();
  try {
    await put(groups.map((g) => g.rollup));
    return new Map();
  } catch (error) {
    if (groups.length === 1 || isTransient(error)) return new Map(groups.map((g) => [g, error as Error]));
    const mid = Math.ceil(groups.length / 2);
    const left = await putIsolating(put, groups.slice(0, mid));
    const right = await putIsolating(put, groups.slice(mid));
    return new Map([...left, ...right]);
  }
}

/**
 * Every record is validated on its own and fails alone: an invalid record, one dated beyond the clock-skew
 * bound, or one the store cannot hold is reported with its reason (and logged) while its batch-mates are
 * stored. Writes are keyed, so a record delivered twice rewrites the same items; node facts are folded by
 * the time they are true at, so delivery order does not change the fleet state.
 */
export async function ingest(records: readonly IngestRecord[], deps: IngestDeps): Promise<IngestResult> {
  const { store, logger } = deps;
  const nowMs = deps.clock.now();
  const failed = new Map<string, string>();
  const fail = (messageId: string, reason: string) => {
    if (!failed.has(messageId)) failed.set(messageId, reason);
  };
  const valid: { messageId: string; message: IngestMessage }[] = [];
  for (const record of records) {
    const result = parseRecordBody(record.body);
    const error = result.ok ? futureFactError(result.message, nowMs) : result.error;
    if (error === undefined && result.ok) {
      valid.push({ messageId: record.messageId, message: result.message });
      continue;
    }
    fail(record.messageId, error!);
    const envelope = result.ok ? undefined : result.envelope;
    const message = result.ok ? result.message : undefined;
    logger.log('error', 'invalid record', {
      messageId: record.messageId,
      eventId: envelope?.id ?? message?.eventId,
      source: envelope?.source,
      detailType: envelope?.['detail-type'] ?? message?.kind,
      error,
    });
  }

  // A redelivery can put one event twice in a batch; a DynamoDB batch write refuses duplicate keys.
  const rollups = new Map<string, RollupGroup>();
  for (const { messageId, message } of valid) {
    if (message.kind !== 'utilization') continue;
    const rollup = rollupBatch(message.batch);
    const key = `${rollup.node.nodeId}|${rollup.windowStart}|${rollup.eventId}`;
    const group = rollups.get(key) ?? { rollup, messageIds: [] };
    group.rollup = rollup;
    group.messageIds.push(messageId);
    rollups.set(key, group);
  }
  const rollupErrors = await putIsolating((items) => store.rollups.put(items), [...rollups.values()]);
  for (const [group, error] of rollupErrors) {
    for (const id of group.messageIds) fail(id, `storing its rollup failed: ${error.message}`);
    logger.log('error', 'writing rollups failed; their records will be delivered again', {
      nodeId: group.rollup.node.nodeId,
      windowStart: group.rollup.windowStart,
      records: group.messageIds,
      error: error.message,
    });
  }

  // All that a batch says of one node is folded into one read and at most one write of it, however many
  // records (agent batches, EC2 events, the snapshots that list it) it came in. A snapshot's pools and
  // queue demand are not kept yet: the store has no pool or queue repository.
  const byNode = new Map<string, Map<string, NodeMessage[]>>();
  let snapshotNodes = 0;
  for (const v of valid) {
    if (failed.has(v.messageId)) continue;
    for (const [id, message] of nodeMessagesOf(v.message)) {
      if (message.kind === 'snapshot-node') snapshotNodes++;
      const group = byNode.get(id) ?? new Map<string, NodeMessage[]>();
      group.set(v.messageId, [...(group.get(v.messageId) ?? []), message]);
      byNode.set(id, group);
    }
  }
  const outcomes: Record<NodeWriteOutcome, number> = { created: 0, updated: 0, unchanged: 0, pending: 0 };
  // One batched read of every node the batch names; a node is read alone only when its write must retry. If the
  // batched read fails, each node is read alone as before.
  const held =
    byNode.size === 0
      ? undefined
      : await store.nodes.getMany([...byNode.keys()]).catch((error: unknown) => {
          logger.log('warn', "reading the batch's nodes at once failed; each is read alone", {
            nodes: byNode.size,
            error: (error as Error).message,
          });
          return undefined;
        });
  await Promise.all(
    [...byNode.entries()].map(async ([nodeId, group]) => {
      try {
        const prefetched = held && { node: held.get(nodeId) };
        outcomes[await writeNodeMessages(store.nodes, nodeId, [...group.values()].flat(), prefetched)]++;
        return;
      } catch (error) {
        if (group.size === 1) {
          failNodeRecords(nodeId, [...group.keys()], error as Error);
          return;
        }
      }
      // One record's facts the store refuses must not hold back the others': each record alone.
      for (const [messageId, messages] of group) {
        try {
          outcomes[await writeNodeMessages(store.nodes, nodeId, messages)]++;
        } catch (error) {
          failNodeRecords(nodeId, [messageId], error as Error);
        }
      }
    }),
  );
  function failNodeRecords(nodeId: string, messageIds: string[], error: Error) {
    // A snapshot is redelivered whole when any of its nodes fails; the others are then up to date already.
    for (const id of messageIds) fail(id, `updating node ${nodeId} failed: ${error.message}`);
    logger.log('error', 'updating fleet state failed; its records will be delivered again', {
      nodeId,
      records: messageIds,
      error: error.message,
    });
  }

  logger.log('info', 'ingest batch', {
    records: records.length,
    invalid: records.length - valid.length,
    rollups: rollups.size - rollupErrors.size,
    snapshotNodes,
    nodesCreated: outcomes.created,
    nodesUpdated: outcomes.updated,
    unknownInstances: outcomes.pending,
    failed: failed.size,
    at: new Date(nowMs).toISOString(),
  });
  const failures = records
    .filter((r) => failed.has(r.messageId))
    .map((r) => ({ messageId: r.messageId, reason: failed.get(r.messageId)! }));
  return {
    batchItemFailures: failures.map((f) => ({ itemIdentifier: f.messageId })),
    failures,
  };
}
