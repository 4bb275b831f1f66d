// The ingest run: validates a batch of queue records, writes window rollups and updates fleet state.
import type { Clock, Store } from '../domain/ports.ts';
import { rollupBatch, type WindowRollup } from '../domain/usage.ts';
import { applyMessages, newNode, nodeMessagesOf, type NodeMessage } from '../ingest/fleet-state.ts';
import type { Logger } from '../ingest/logger.ts';
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

export interface IngestResult {
  /** Records to be delivered again (and, after the queue's retries, to land in the DLQ). */
  batchItemFailures: { itemIdentifier: string }[];
}

function rollupKey(r: WindowRollup): string {
  return `${r.node.nodeId}|${r.windowStart}|${r.eventId}`;
}

/**
 * Every record is validated on its own: an invalid one is reported (and logged with its error) without
 * holding back the valid ones. Writes are keyed, so a record delivered twice rewrites the same items.
 */
export async function ingest(records: readonly IngestRecord[], deps: IngestDeps): Promise<IngestResult> {
  const { store, logger } = deps;
  const failed = new Set<string>();
  const valid: { messageId: string; message: IngestMessage }[] = [];
  for (const record of records) {
    const result = parseRecordBody(record.body);
    if (result.ok) valid.push({ messageId: record.messageId, message: result.message });
    else {
      failed.add(record.messageId);
      logger.log('error', 'invalid record', {
        messageId: record.messageId,
        eventId: result.envelope?.id,
        source: result.envelope?.source,
        detailType: result.envelope?.['detail-type'],
        error: result.error,
      });
    }
  }

  // A redelivery can put one event twice in a batch; a DynamoDB batch write refuses duplicate keys.
  const rollups = new Map<string, WindowRollup>();
  const usage = valid.filter((v) => v.message.kind === 'utilization');
  for (const { message } of usage) {
    if (message.kind === 'utilization') {
      const rollup = rollupBatch(message.batch);
      rollups.set(rollupKey(rollup), rollup);
    }
  }
  let usageWritten = true;
  if (rollups.size > 0) {
    try {
      await store.rollups.put([...rollups.values()]);
    } catch (error) {
      usageWritten = false;
      for (const { messageId } of usage) failed.add(messageId);
      logger.log('error', 'writing rollups failed; their records will be delivered again', {
        records: usage.length,
        error: (error as Error).message,
      });
    }
  }

  // All that a batch says of one node is folded into one read and at most one write of it, however many
  // records (agent batches, EC2 events, the snapshots that list it) it came in. A snapshot's pools and
  // queue demand are not kept yet: the store has no pool or queue repository.
  const byNode = new Map<string, { messageIds: Set<string>; messages: NodeMessage[] }>();
  let snapshotNodes = 0;
  for (const v of valid) {
    if (v.message.kind === 'utilization' && !usageWritten) continue;
    for (const [id, message] of nodeMessagesOf(v.message)) {
      if (message.kind === 'snapshot-node') snapshotNodes++;
      const group = byNode.get(id) ?? { messageIds: new Set(), messages: [] };
      group.messageIds.add(v.messageId);
      group.messages.push(message);
      byNode.set(id, group);
    }
  }
  let created = 0;
  let updated = 0;
  let unknown = 0;
  await Promise.all(
    [...byNode.entries()].map(async ([nodeId, group]) => {
      try {
        const existing = await store.nodes.get(nodeId);
        if (existing) {
          const fields = applyMessages(existing, group.messages);
          if (Object.keys(fields).length > 0) {
            await store.nodes.patch(nodeId, fields);
            updated++;
          }
          return;
        }
        const fresh = newNode(group.messages);
        if (!fresh) {
          unknown++;
          return;
        }
        await store.nodes.put({ ...fresh, ...applyMessages(fresh, group.messages) });
        created++;
      } catch (error) {
        // A snapshot is redelivered whole when any of its nodes fails; the others are then up to date already.
        for (const id of group.messageIds) failed.add(id);
        logger.log('error', 'updating fleet state failed; its records will be delivered again', {
          nodeId,
          error: (error as Error).message,
        });
      }
    }),
  );
  logger.log('info', 'ingest batch', {
    records: records.length,
    invalid: records.length - valid.length,
    rollups: usageWritten ? rollups.size : 0,
    snapshotNodes,
    nodesCreated: created,
    nodesUpdated: updated,
    unknownInstances: unknown,
    failed: failed.size,
    at: new Date(deps.clock.now()).toISOString(),
  });
  return {
    batchItemFailures: records
      .filter((r) => failed.has(r.messageId))
      .map((r) => ({ itemIdentifier: r.messageId })),
  };
}
