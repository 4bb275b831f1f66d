// Writes what messages say of one node: read, fold, write only if nobody wrote in between, else again.
import { nodeVersion, type FleetNode } from '../domain/fleet.ts';
import type { NodeRepository } from '../domain/ports.ts';
import {
  applyMessages,
  messageOfPendingFact,
  newNode,
  pendingFactOf,
  type NodeMessage,
  type ProviderNodeMessage,
} from './fleet-state.ts';

/**
 * Reads and writes of one node before giving up: each retry means another writer changed the node in the
 * meantime, which a handful of concurrent ingest batches cannot keep doing.
 */
export const MAX_NODE_WRITE_ATTEMPTS = 8;

export type NodeWriteOutcome = 'created' | 'updated' | 'unchanged' | 'pending';

export class NodeWriteConflictError extends Error {
  constructor(readonly nodeId: string) {
    super(`node ${nodeId} was changed by other writers ${MAX_NODE_WRITE_ATTEMPTS} times while being updated`);
    this.name = 'NodeWriteConflictError';
  }
}

const isProviderMessage = (m: NodeMessage): m is ProviderNodeMessage =>
  m.kind === 'ec2-state' || m.kind === 'ec2-notice';

/**
 * Folds messages into the stored node. A node that does not exist is created from them and from the facts
 * kept for it earlier; EC2 messages about a node no one else has reported are kept as pending facts. Every
 * write is conditional on what was read (`create` if absent, `patch` if the version is unchanged), so
 * concurrent batches about one node each land, whatever their order.
 */
export async function writeNodeMessages(
  nodes: NodeRepository,
  nodeId: string,
  messages: readonly NodeMessage[],
  /** The node as read for a whole batch beforehand (undefined: not held), so the first attempt need not read it. */
  prefetched?: { node: FleetNode | undefined },
): Promise<NodeWriteOutcome> {
  let todo = messages;
  let outcome: NodeWriteOutcome | undefined;
  for (let attempt = 0; attempt < MAX_NODE_WRITE_ATTEMPTS; attempt++) {
    const existing = attempt === 0 && prefetched ? prefetched.node : await nodes.get(nodeId);
    if (existing) {
      const fields = applyMessages(existing, todo);
      if (Object.keys(fields).length === 0) return outcome ?? 'unchanged';
      if (await nodes.patch(nodeId, fields, nodeVersion(existing))) return outcome ?? 'updated';
      continue;
    }
    const kept = await nodes.pendingFacts(nodeId);
    const fresh = newNode([...todo, ...kept.map(messageOfPendingFact)]);
    if (!fresh) {
      for (const m of todo.filter(isProviderMessage)) await nodes.keepPendingFact(pendingFactOf(m));
      // A node created while the facts were kept did not see them: fold them into it.
      if (await nodes.get(nodeId)) continue;
      return 'pending';
    }
    if ((await nodes.create(fresh)) === 'exists') continue;
    outcome = 'created';
    // A fact kept by another writer between the read above and the create: fold it in now.
    const seen = new Set(kept.map((f) => f.eventId));
    const late = (await nodes.pendingFacts(nodeId)).filter((f) => !seen.has(f.eventId));
    if (late.length === 0) return outcome;
    todo = late.map(messageOfPendingFact);
  }
  throw new NodeWriteConflictError(nodeId);
}
