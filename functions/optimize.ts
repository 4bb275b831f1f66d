// Lambda door of the optimize run (every 15 minutes) and the AWS wiring it shares with the interruption door.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import type { ScheduledEvent } from 'aws-lambda';
import { z } from 'zod';
import { createEventBridgeSink } from '../lib/adapters/eventbridge-sink.ts';
import { zPool } from '../lib/domain/pool.ts';
import type { EventSink, PriceSource, Store } from '../lib/domain/ports.ts';
import { parseOrThrow } from '../lib/domain/validation.ts';
import { createEc2Provider } from '../lib/connectors/aws-ec2/provider.ts';
import { systemClock } from '../lib/memory/clock.ts';
import { runOptimize, type OptimizeRunResult } from '../lib/runs/optimize.ts';
import { createDynamoStore } from '../lib/store/index.ts';

const zEnvironment = z.object({
  TABLE_NAME: z.string().min(1),
  EVENT_BUS_NAME: z.string().min(1),
  AWS_REGION: z.string().min(1),
  /** The AWS pools this deployment manages, as a JSON array of pools. */
  POOLS_JSON: z.string().transform((text, ctx) => {
    try {
      return z.array(zPool).parse(JSON.parse(text));
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `not a JSON array of pools: ${(error as Error).message}` });
      return z.NEVER;
    }
  }),
  LAUNCH_TEMPLATE_ID: z.string().min(1),
  MODE: z.enum(['recommend', 'enforce']).default('recommend'),
  KILL_SWITCH: z.enum(['on', 'off']).default('off'),
  MAX_ACTIONS_PER_RUN: z.coerce.number().int().min(0).max(1000).default(10),
  HORIZON_HOURS: z.coerce.number().int().min(1).max(336).default(168),
});
export type CapacityEnvironment = z.infer<typeof zEnvironment>;

export function readCapacityEnvironment(what: string): CapacityEnvironment {
  return parseOrThrow(zEnvironment, process.env, what);
}

/** The ports of the capacity runs in AWS: DynamoDB, the bus, the stored prices and the EC2 fleet. */
export function createAwsCapacityPorts(environment: CapacityEnvironment) {
  const store: Store = createDynamoStore({
    client: DynamoDBDocumentClient.from(new DynamoDBClient({})),
    tableName: environment.TABLE_NAME,
  });
  const events: EventSink = createEventBridgeSink({
    client: new EventBridgeClient({}),
    eventBusName: environment.EVENT_BUS_NAME,
  });
  // Prices are refreshed into the store by the pricing run; the capacity runs read that snapshot.
  const prices: PriceSource = { quotes: () => store.prices.all() };
  const provider = createEc2Provider({
    ec2: new EC2Client({}),
    region: environment.AWS_REGION,
    pools: environment.POOLS_JSON,
    launchTemplate: { launchTemplateId: environment.LAUNCH_TEMPLATE_ID },
  });
  return { store, events, prices, providers: [provider], clock: systemClock };
}

const environment = readCapacityEnvironment('optimize function environment');
const ports = createAwsCapacityPorts(environment);

export async function optimizeHandler(_event: ScheduledEvent): Promise<OptimizeRunResult> {
  return runOptimize(
    { ...ports, log: (entry) => console.log(JSON.stringify(entry)) },
    {
      mode: environment.MODE,
      killSwitch: environment.KILL_SWITCH === 'on',
      maxActionsPerRun: environment.MAX_ACTIONS_PER_RUN,
      horizonHours: environment.HORIZON_HOURS,
    },
  );
}

export const handler = middy<ScheduledEvent, OptimizeRunResult>().handler(optimizeHandler);
