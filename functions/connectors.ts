// Lambda door of the connectors poll: a schedule in, each configured fleet's snapshot and GPU samples onto the bus.
import type { ScheduledEvent } from 'aws-lambda';
import { runPollConnectors, type PollConnectorsResult } from '../lib/runs/poll-connectors.ts';
import { openDoor } from '../lib/system/door.ts';

const door = openDoor('connectors');

export async function connectorsHandler(_event: ScheduledEvent): Promise<PollConnectorsResult> {
  const { config, assembly } = await door.system();
  return runPollConnectors(
    {
      connectors: await assembly.connectors(),
      events: await assembly.events(),
      clock: assembly.clock,
      log: door.log,
    },
    door.entry.options(config),
  );
}

export const handler = door.wrap(connectorsHandler);
