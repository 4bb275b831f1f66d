// Lambda door of the reclaim run (every 5 minutes): a schedule in, the run's summary out.
import type { ScheduledEvent } from 'aws-lambda';
import { openDoor } from '../lib/system/door.ts';
import { runReclaim, type ReclaimResult } from '../lib/runs/reclaim.ts';

const door = openDoor('reclaim');

export async function reclaimHandler(_event: ScheduledEvent): Promise<ReclaimResult> {
  const { config } = await door.system();
  // Recommend mode never calls the fleet, so its SDKs are never loaded (the providers build on first call).
  return runReclaim(
    {
      ...(await door.fleetPorts()),
      ...(config.attribution ? { attribution: config.attribution } : {}),
    },
    door.entry.options(config),
  );
}

export const handler = door.wrap(reclaimHandler);
