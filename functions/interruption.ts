// Lambda door of the interruption run: an EC2 spot interruption or rebalance event straight from its own rule.
import middy from '@middy/core';
import type { EventBridgeEvent } from 'aws-lambda';
import { createAwsCapacityPorts, once, readCapacityEnvironment } from '../lib/adapters/aws-ports.ts';
import { runInterruption, type InterruptionResult } from '../lib/runs/interruption.ts';

/** Read once at cold start: a missing or malformed variable fails the first invocation loudly. */
const environment = readCapacityEnvironment('interruption function environment');
const ports = once(() => createAwsCapacityPorts(environment));

export async function interruptionHandler(
  event: EventBridgeEvent<string, unknown>,
): Promise<InterruptionResult> {
  const { ec2, ...rest } = await ports();
  return runInterruption(
    { ...rest, providers: [ec2], log: (entry) => console.log(JSON.stringify(entry)) },
    event,
    { mode: environment.KILL_SWITCH === 'on' ? 'recommend' : environment.MODE },
  );
}

export const handler = middy<EventBridgeEvent<string, unknown>, InterruptionResult>().handler(
  interruptionHandler,
);
