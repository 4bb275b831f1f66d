// The AWS ports of the Lambda doors (DynamoDB store, EventBridge sink, EC2 fleet), built on first use, not at import.
import { z } from 'zod';
import type { NodeMark } from '../domain/fleet.ts';
import { zPool } from '../domain/pool.ts';
import type {
  CapacityProvider,
  Clock,
  EventSink,
  LaunchRequest,
  PriceSource,
  ReleaseRequest,
  Store,
} from '../domain/ports.ts';
import { parseOrThrow } from '../domain/validation.ts';
import { systemClock } from './system-clock.ts';

/**
 * An async factory run once; a failed attempt is forgotten so that the next invocation tries again.
 * The SDK packages are imported inside the factories: a cold start pays for a client only when a run uses it.
 */
export function once<T>(make: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= make().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}

export async function createAwsStore(tableName: string): Promise<Store> {
  const [{ DynamoDBClient }, { DynamoDBDocumentClient }, { createDynamoStore }] = await Promise.all([
    import('@aws-sdk/client-dynamodb'),
    import('@aws-sdk/lib-dynamodb'),
    import('../store/index.ts'),
  ]);
  return createDynamoStore({ client: DynamoDBDocumentClient.from(new DynamoDBClient({})), tableName });
}

export async function createAwsEventSink(eventBusName: string): Promise<EventSink> {
  const [{ EventBridgeClient }, { createEventBridgeSink }] = await Promise.all([
    import('@aws-sdk/client-eventbridge'),
    import('./eventbridge-sink.ts'),
  ]);
  return createEventBridgeSink({ client: new EventBridgeClient({}), eventBusName });
}

/** A provider whose real one is built at its first call: a run that never asks the fleet never loads its SDK. */
export function deferredProvider(name: string, make: () => Promise<CapacityProvider>): CapacityProvider {
  const real = once(make);
  return {
    name,
    pools: async () => (await real()).pools(),
    nodes: async () => (await real()).nodes(),
    prices: async () => (await real()).prices(),
    launch: async (request: LaunchRequest) => (await real()).launch(request),
    release: async (request: ReleaseRequest) => (await real()).release(request),
    mark: async (nodeId: string, mark: NodeMark) => (await real()).mark(nodeId, mark),
    unmark: async (nodeId: string) => (await real()).unmark(nodeId),
    utilization: async (fromMs: number, toMs: number) => (await real()).utilization(fromMs, toMs),
    queue: async () => (await real()).queue(),
  };
}

const zCapacityEnvironment = z.object({
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
export type CapacityEnvironment = z.infer<typeof zCapacityEnvironment>;

/** The environment of the doors that change capacity (optimize, interruption, reclaim); throws naming the variable. */
export function readCapacityEnvironment(what: string): CapacityEnvironment {
  return parseOrThrow(zCapacityEnvironment, process.env, what);
}

export interface AwsCapacityPorts {
  store: Store;
  events: EventSink;
  prices: PriceSource;
  /** The EC2 fleet of this region; its SDK loads at the first call on it. */
  ec2: CapacityProvider;
  clock: Clock;
}

/** The ports of the capacity runs in AWS: DynamoDB, the bus, the stored prices and the EC2 fleet. */
export async function createAwsCapacityPorts(environment: CapacityEnvironment): Promise<AwsCapacityPorts> {
  const [store, events] = await Promise.all([
    createAwsStore(environment.TABLE_NAME),
    createAwsEventSink(environment.EVENT_BUS_NAME),
  ]);
  const ec2 = deferredProvider(`aws-ec2-${environment.AWS_REGION}`, async () => {
    const [{ EC2Client }, { createEc2Provider }] = await Promise.all([
      import('@aws-sdk/client-ec2'),
      import('../connectors/aws-ec2/provider.ts'),
    ]);
    return createEc2Provider({
      ec2: new EC2Client({}),
      region: environment.AWS_REGION,
      pools: environment.POOLS_JSON,
      launchTemplate: { launchTemplateId: environment.LAUNCH_TEMPLATE_ID },
    });
  });
  // Prices are refreshed into the store by the pricing run; the capacity runs read that snapshot.
  const prices: PriceSource = { quotes: () => store.prices.all() };
  return { store, events, prices, ec2, clock: systemClock };
}
