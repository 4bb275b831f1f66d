// Lambda door of the interruption run: an EC2 spot interruption or rebalance event straight from its own rule.
import type { EventBridgeEvent } from 'aws-lambda';
import { openDoor } from '../lib/system/door.ts';
import { idempotencyMiddleware } from '../lib/system/idempotency.ts';
import { runInterruption, type InterruptionResult } from '../lib/runs/interruption.ts';

const door = openDoor('interruption');

export async function interruptionHandler(
  event: EventBridgeEvent<string, unknown>,
): Promise<InterruptionResult> {
  const { config, assembly } = await door.system();
  return runInterruption(
    {
      ...(await door.fleetPorts()),
      prices: await assembly.prices(),
    },
    event,
    door.entry.options(config),
  );
}

export const handler = door.wrap(interruptionHandler, idempotencyMiddleware);
