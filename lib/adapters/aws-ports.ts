// The AWS ports of the assembly (DynamoDB store, EventBridge sink, a fleet built at its first call), made on first use, not at import.
import type { NodeMark } from '../domain/fleet.ts';
import type { CapacityProvider, EventSink, LaunchRequest, ReleaseRequest, Store } from '../domain/ports.ts';

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
