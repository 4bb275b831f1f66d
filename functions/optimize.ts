// Lambda door of the optimize run (every 15 minutes): a schedule in, the run's summary out.
import type { ScheduledEvent } from 'aws-lambda';
import { openDoor } from '../lib/system/door.ts';
import { runOptimize, type OptimizeRunResult } from '../lib/runs/optimize.ts';

const door = openDoor('optimize');

export async function optimizeHandler(_event: ScheduledEvent): Promise<OptimizeRunResult> {
  const { config, assembly } = await door.system();
  return runOptimize(
    {
      ...(await door.fleetPorts()),
      prices: await assembly.prices(),
    },
    door.entry.options(config),
  );
}

export const handler = door.wrap(optimizeHandler);
