// Lambda door of the interruption run: an EC2 spot interruption or rebalance event straight from its own rule.
import middy from '@middy/core';
import type { EventBridgeEvent } from 'aws-lambda';
import { runInterruption, type InterruptionResult } from '../lib/runs/interruption.ts';
import { createAwsCapacityPorts, readCapacityEnvironment } from './optimize.ts';

const environment = readCapacityEnvironment('interruption function environment');
const ports = createAwsCapacityPorts(environment);

export async function interruptionHandler(
  event: EventBridgeEvent<string, unknown>,
): Promise<InterruptionResult> {
  return runInterruption({ ...ports, log: (entry) => console.log(JSON.stringify(entry)) }, event, {
    mode: environment.KILL_SWITCH === 'on' ? 'recommend' : environment.MODE,
  });
}

export const handler = middy<EventBridgeEvent<string, unknown>, InterruptionResult>().handler(
  interruptionHandler,
);
