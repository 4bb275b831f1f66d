// Lambda door of the connectors poll: a schedule in, each configured fleet's snapshot and GPU samples onto the bus.
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import middy from '@middy/core';
import type { ScheduledEvent } from 'aws-lambda';
import { z } from 'zod';
import { createConnectors, zConnectorsConfig } from '../lib/connectors/config.ts';
import { createEventBridgeSink } from '../lib/adapters/eventbridge-sink.ts';
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

const events = createEventBridgeSink({ client: bus, eventBusName: environment.EVENT_BUS_NAME });

export async function connectorsHandler(_event: ScheduledEvent): Promise<PollConnectorsResult> {
  return runPollConnectors(
    { connectors, events, clock: systemClock, log: (entry) => console.log(JSON.stringify(entry)) },
    { utilizationLookbackMinutes: environment.UTILIZATION_LOOKBACK_MINUTES },
  );
}

export const handler = middy<ScheduledEvent, PollConnectorsResult>().handler(connectorsHandler);
