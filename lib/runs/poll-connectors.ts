// The connectors poll (scheduled): each non-AWS fleet's capacity snapshot and GPU samples onto the bus; one failing fleet fails only its part.
import { z } from 'zod';
import {
  makeEvent,
  MAX_EVENT_BYTES,
  tryToWire,
  type DomainEvent,
  type EventDetail,
} from '../domain/events.ts';
import {
  eventEntryBytes,
  putEventsEntryBytes,
  wireEventEntry,
  type CapacityProvider,
  type Clock,
  type EventSink,
} from '../domain/ports.ts';
import { toRfc3339, windowStart } from '../domain/time.ts';
import { putEventsInCalls } from './put-events.ts';

/**
 * Snapshot parts are cut this far under the entry limit: the bus wraps each in an envelope (id, account,
 * region, time, resources) before the ingest queue gets it, and a queue may hold no more than 256 KiB.
 */
const SNAPSHOT_PART_BYTES = MAX_EVENT_BYTES - 1024;

export const zPollConnectorsConfig = z.object({
  /**
   * Complete windows read back each poll. Longer than the poll interval, so a poll that failed is made up
   * by the next; a window read twice yields the same event ids, so ingest rewrites instead of counting twice.
   */
  utilizationLookbackMinutes: z
    .number()
    .int()
    .min(5)
    .max(24 * 60)
    .default(15),
});
export type PollConnectorsConfig = z.infer<typeof zPollConnectorsConfig>;

export interface PollConnectorsPorts {
  connectors: readonly CapacityProvider[];
  events: EventSink;
  clock: Clock;
  log?: (entry: Record<string, unknown>) => void;
}

export interface ConnectorPollResult {
  connector: string;
  nodes: number;
  gpusRunning: number;
  gpusPending: number;
  utilizationBatches: number;
  /** Capacity Snapshot events the fleet's snapshot went out as: more than one when it was over the size limit. */
  snapshotParts: number;
  /** Parts that failed ("snapshot", "utilization") and why. */
  errors: { part: string; error: string }[];
}

export interface PollConnectorsResult {
  polledAt: string;
  connectors: ConnectorPollResult[];
  /** Events the bus refused or that could not be encoded, with why. */
  eventFailures: string[];
}

const RUN = 'poll-connectors';

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

type Snapshot = EventDetail<'Capacity Snapshot'>;

/**
 * A snapshot as `Capacity Snapshot` events each under `maxBytes`: itself when it fits, else its nodes in
 * parts of one takenAt, with the pools and demand in the first part. Ingest reads each part as the truth at
 * takenAt for the nodes it lists, so parts need no marker and may arrive in any order.
 */
export function splitSnapshot(
  snapshot: Snapshot,
  time: string,
  maxBytes = SNAPSHOT_PART_BYTES,
): DomainEvent[] {
  const whole = makeEvent('Capacity Snapshot', snapshot, time);
  const wire = tryToWire(whole);
  // An event that does not encode goes on as it is: the sink reports which field is wrong.
  if (!wire.ok || putEventsEntryBytes(wireEventEntry(wire.wire)) < maxBytes) return [whole];
  // Sizes are added up, not measured part by part: JSON of an array is its items joined by commas.
  const nodeBytes = (wire.wire.detail as { nodes: unknown[] }).nodes.map((n) =>
    Buffer.byteLength(JSON.stringify(n)),
  );
  const partOf = (nodes: Snapshot['nodes'], first: boolean): Snapshot => ({
    ...snapshot,
    nodes,
    pools: first ? snapshot.pools : [],
    demand: first ? snapshot.demand : [],
  });
  const emptyBytes = [true, false].map((first) =>
    eventEntryBytes(makeEvent('Capacity Snapshot', partOf([], first), time)),
  );
  const parts: Snapshot['nodes'][] = [];
  let current: Snapshot['nodes'] = [];
  let bytes = emptyBytes[0]!;
  if (bytes >= maxBytes) {
    throw new Error(
      `snapshot pools and demand alone are ${bytes} bytes, over the ${maxBytes}-byte event limit`,
    );
  }
  snapshot.nodes.forEach((node, i) => {
    const fits = () => bytes + nodeBytes[i]! + (current.length > 0 ? 1 : 0) < maxBytes;
    // A full part is closed; so is a first part whose pools and demand leave no room for this node.
    if (!fits() && (current.length > 0 || parts.length === 0)) {
      parts.push(current);
      current = [];
      bytes = emptyBytes[1]!;
    }
    if (!fits()) {
      throw new Error(
        `node ${node.nodeId} alone is ${nodeBytes[i]} bytes, too large for a ${maxBytes}-byte event`,
      );
    }
    bytes += nodeBytes[i]! + (current.length > 0 ? 1 : 0);
    current.push(node);
  });
  parts.push(current);
  return parts.map((nodes, k) => makeEvent('Capacity Snapshot', partOf(nodes, k === 0), time));
}

async function pollOne(
  provider: CapacityProvider,
  nowMs: number,
  config: PollConnectorsConfig,
): Promise<{ result: ConnectorPollResult; events: DomainEvent[] }> {
  const result: ConnectorPollResult = {
    connector: provider.name,
    nodes: 0,
    gpusRunning: 0,
    gpusPending: 0,
    utilizationBatches: 0,
    snapshotParts: 0,
    errors: [],
  };
  const events: DomainEvent[] = [];
  const at = toRfc3339(nowMs);
  const fail = (part: string, error: unknown) => {
    result.errors.push({ part, error: message(error) });
    events.push(
      makeEvent(
        'Run Failed',
        { schemaVersion: '1', run: RUN, part: `${provider.name}:${part}`, at, error: message(error) },
        at,
      ),
    );
  };

  const [snapshot, utilization] = await Promise.allSettled([
    Promise.all([provider.pools(), provider.nodes(), provider.queue()]),
    // Only windows that have ended: a window still filling would be sent again, smaller, next time.
    provider.utilization(windowStart(nowMs) - config.utilizationLookbackMinutes * 60_000, windowStart(nowMs)),
  ]);

  if (snapshot.status === 'rejected') fail('snapshot', snapshot.reason);
  else {
    const [pools, nodes, demand] = snapshot.value;
    result.nodes = nodes.length;
    result.gpusRunning = demand.reduce((sum, d) => sum + d.gpusRunning, 0);
    result.gpusPending = demand.reduce((sum, d) => sum + d.gpusPending, 0);
    if (pools.length + nodes.length + demand.length > 0) {
      try {
        const parts = splitSnapshot(
          { schemaVersion: '1', connector: provider.name, takenAt: at, pools, nodes, demand },
          at,
        );
        result.snapshotParts = parts.length;
        events.push(...parts);
      } catch (error) {
        fail('snapshot', error);
      }
    }
  }

  if (utilization.status === 'rejected') fail('utilization', utilization.reason);
  else {
    result.utilizationBatches = utilization.value.length;
    for (const batch of utilization.value)
      events.push(makeEvent('GPU Utilization Batch', batch, batch.windowStart));
  }
  return { result, events };
}

/** Polls every connector at once; each one's failures become `Run Failed` events while the others go on. */
export async function runPollConnectors(
  ports: PollConnectorsPorts,
  configInput: z.input<typeof zPollConnectorsConfig> = {},
): Promise<PollConnectorsResult> {
  const config = zPollConnectorsConfig.parse(configInput);
  const nowMs = ports.clock.now();
  const polled = await Promise.all(ports.connectors.map((c) => pollOne(c, nowMs, config)));
  const events = polled.flatMap((p) => p.events);
  const eventFailures = (await putEventsInCalls(ports.events, events)).map(
    (u) => `${u.event.detailType}: ${u.error}`,
  );
  const result: PollConnectorsResult = {
    polledAt: toRfc3339(nowMs),
    connectors: polled.map((p) => p.result),
    eventFailures,
  };
  ports.log?.({ run: RUN, ...result });
  return result;
}
