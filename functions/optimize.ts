// Lambda door of the optimize run (every 15 minutes): a schedule in, the run's summary out.
import middy from '@middy/core';
import type { ScheduledEvent } from 'aws-lambda';
import { createAwsCapacityPorts, once, readCapacityEnvironment } from '../lib/adapters/aws-ports.ts';
import { runOptimize, type OptimizeRunResult } from '../lib/runs/optimize.ts';

/** Read once at cold start: a missing or malformed variable fails the first invocation loudly. */
const environment = readCapacityEnvironment('optimize function environment');
const ports = once(() => createAwsCapacityPorts(environment));

export async function optimizeHandler(_event: ScheduledEvent): Promise<OptimizeRunResult> {
  const { ec2, ...rest } = await ports();
  return runOptimize(
    { ...rest, providers: [ec2], log: (entry) => console.log(JSON.stringify(entry)) },
    {
      mode: environment.MODE,
      killSwitch: environment.KILL_SWITCH === 'on',
      maxActionsPerRun: environment.MAX_ACTIONS_PER_RUN,
      horizonHours: environment.HORIZON_HOURS,
    },
  );
}

export const handler = middy<ScheduledEvent, OptimizeRunResult>().handler(optimizeHandler);
