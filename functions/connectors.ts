// Lambda door of the connectors poll: a schedule in, each configured fleet's snapshot and GPU samples onto the bus.
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import middy from '@middy/core';
import type { ScheduledEvent } from 'aws-lambda';
import { z } from 'zod';
import { createConnectors, zConnectorsConfig } from '../lib/connectors/config.ts';
import { tryToWire } from '../lib/domain/events.ts';
import type { EventSink } from '../lib/domain/ports.ts';
import { parseOrThrow } from '../lib/domain/validation.ts';
import { systemClock } from '../lib/memory/clock.ts';
import { runPollConnectors, type PollConnectorsResult } from '../lib/runs/poll-connectors.ts';

const zEnvironment = z.object({
  EVENT_BUS_NAME: z.string().min(1),
  /** The connectors config as JSON (see lib/connectors/config.ts); secrets such as the Slurm JWT in it. */
  CONNECTORS_CONFIG: z.string().min(2),
  UTILIZATION_LOOKBACK_MINUTES: z.coerce.number().int().min(5).max(1440).default(15),
});

/** Read once at cold start: a missing or malformed variable fails the first invocation loudly. */
const environment = parseOrThrow(zEnvironment, process.env, 'connectors function environment');
const config = parseOrThrow(
  zConnectorsConfig,
  JSON.parse(environment.CONNECTORS_CONFIG),
  'CONNECTORS_CONFIG',
);
const connectors = createConnectors(config);
const bus = new EventBridgeClient({});

/** Events onto the bus; entries that fail to encode or that the bus refuses come back as failures. */
const events: EventSink = {
  async put(batch) {
    const failed: { index: number; error: string }[] = [];
    const entries: {
      index: number;
      entry: { Source: string; DetailType: string; Detail: string; EventBusName: string; Time?: Date };
    }[] = [];
    batch.forEach((event, index) => {
      const wire = tryToWire(event);
      if (!wire.ok) failed.push({ index, error: wire.error });
      else {
        entries.push({
          index,
          entry: {
            Source: wire.wire.source,
            DetailType: wire.wire.detailType,
            Detail: JSON.stringify(wire.wire.detail),
            EventBusName: environment.EVENT_BUS_NAME,
          },
        });
      }
    });
    if (entries.length > 0) {
      const out = await bus.send(new PutEventsCommand({ Entries: entries.map((e) => e.entry) }));
      out.Entries?.forEach((r, i) => {
        if (r.ErrorCode)
          failed.push({ index: entries[i]!.index, error: `${r.ErrorCode}: ${r.ErrorMessage ?? ''}` });
      });
    }
    return { failed };
  },
};

export async function connectorsHandler(_event: ScheduledEvent): Promise<PollConnectorsResult> {
  return runPollConnectors(
    { connectors, events, clock: systemClock, log: (entry) => console.log(JSON.stringify(entry)) },
    { utilizationLookbackMinutes: environment.UTILIZATION_LOOKBACK_MINUTES },
  );
}

export const handler = middy<ScheduledEvent, PollConnectorsResult>().handler(connectorsHandler);
