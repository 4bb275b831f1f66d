// The connectors poll (scheduled): each non-AWS fleet's capacity snapshot and GPU samples onto the bus; one failing fleet fails only its part.
import { z } from 'zod';
import { makeEvent, MAX_EVENT_BYTES, tryToWire, type DomainEvent } from '../domain/events.ts';
import type { CapacityProvider, Clock, EventSink } from '../domain/ports.ts';
import { toRfc3339, WINDOW_MS } from '../domain/time.ts';

/** EventBridge takes at most 10 entries per PutEvents. */
const EVENTS_PER_PUT = 10;

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

function wireBytes(event: DomainEvent): number {
  const wire = tryToWire(event);
  return wire.ok ? Buffer.byteLength(JSON.stringify(wire.wire.detail)) : 0;
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
    provider.utilization(
      Math.floor(nowMs / WINDOW_MS) * WINDOW_MS - config.utilizationLookbackMinutes * 60_000,
      Math.floor(nowMs / WINDOW_MS) * WINDOW_MS,
    ),
  ]);

  if (snapshot.status === 'rejected') fail('snapshot', snapshot.reason);
  else {
    const [pools, nodes, demand] = snapshot.value;
    result.nodes = nodes.length;
    result.gpusRunning = demand.reduce((sum, d) => sum + d.gpusRunning, 0);
    result.gpusPending = demand.reduce((sum, d) => sum + d.gpusPending, 0);
    if (pools.length + nodes.length + demand.length > 0) {
      const event = makeEvent(
        'Capacity Snapshot',
        { schemaVersion: '1', connector: provider.name, takenAt: at, pools, nodes, demand },
        at,
      );
      const bytes = wireBytes(event);
      if (bytes > MAX_EVENT_BYTES)
        fail(
          'snapshot',
          new Error(
            `snapshot of ${nodes.length} nodes is ${bytes} bytes, over the ${MAX_EVENT_BYTES}-byte event limit`,
          ),
        );
      else events.push(event);
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
  const eventFailures: string[] = [];
  for (let i = 0; i < events.length; i += EVENTS_PER_PUT) {
    const batch = events.slice(i, i + EVENTS_PER_PUT);
    try {
      const outcome = await ports.events.put(batch);
      for (const f of outcome.failed)
        eventFailures.push(`${batch[f.index]?.detailType ?? 'event'}: ${f.error}`);
    } catch (error) {
      eventFailures.push(`PutEvents of ${batch.length} events: ${message(error)}`);
    }
  }
  const result: PollConnectorsResult = {
    polledAt: toRfc3339(nowMs),
    connectors: polled.map((p) => p.result),
    eventFailures,
  };
  ports.log?.({ run: RUN, ...result });
  return result;
}
