// What the door tests share: the environment a door reads, the Scheduler's input, the EMF lines Powertools writes.
import {
  PutEventsCommand,
  type EventBridgeClient,
  type PutEventsCommandInput,
} from '@aws-sdk/client-eventbridge';
import type { Context, ScheduledEvent } from 'aws-lambda';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import { readFileSync } from 'node:fs';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { inject, vi } from 'vitest';
import { configDocument, parseDeployConfig, type DeployConfig } from '../../lib/system/config.ts';
import { configItem } from '../../lib/system/config-store.ts';
import { freshDynamoStore, type FreshDynamoStore } from '../support/dynamo.ts';

/** The example config, the base every door test changes what it needs in. */
export const EXAMPLE_CONFIG = JSON.parse(readFileSync('config/example.json', 'utf8')) as Record<
  string,
  unknown
>;

/**
 * A fresh dynalite table holding a config (the example with `overrides`, as a deploy stores it), and the
 * environment the stack gives a door pointing at both (set before importing the door).
 */
export async function doorTable(
  overrides: Record<string, unknown> = {},
  variables: Record<string, string> = {},
): Promise<FreshDynamoStore & { config: DeployConfig }> {
  const fresh = await freshDynamoStore();
  const input = { ...EXAMPLE_CONFIG, connectors: undefined, ...overrides };
  const config = parseDeployConfig(input);
  const document = configDocument(JSON.parse(JSON.stringify(input)));
  await fresh.client.send(new PutCommand({ TableName: fresh.tableName, Item: configItem(document) }));
  Object.assign(process.env, {
    TABLE_NAME: fresh.tableName,
    AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint'),
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    EVENT_BUS_NAME: 'gpu-optimizer',
    CONFIG_VERSION: document.version,
    ...variables,
  });
  return { ...fresh, config };
}

/** What the stack's schedules send (lib/infra/stack.ts: Scheduler gives its own input, not a ScheduledEvent). */
export function schedulerEvent(timeMs: number, schedule: string): ScheduledEvent {
  return {
    version: '0',
    id: 'c7f3b1e2-0d5e-4a57-9d1c-0c9f2b3a4d5e',
    'detail-type': 'Scheduled Event',
    source: 'aws.scheduler',
    account: '123456789012',
    time: new Date(timeMs).toISOString().replace('.000Z', 'Z'),
    region: 'us-east-1',
    resources: [`arn:aws:scheduler:us-east-1:123456789012:schedule/gpu-optimizer/${schedule}`],
    detail: {},
  };
}

/** The context Lambda hands a function: its name, the request's id and the time it has left. */
export function lambdaContext(functionName: string, awsRequestId: string, remainingMs = 60_000): Context {
  const deadline = Date.now() + remainingMs;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/01/05/[$LATEST]0123456789abcdef0123456789abcdef',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

/** Collects the JSON log lines the Powertools Logger writes (stdout and stderr) from now on. */
export function captureLogs(): { lines: Record<string, unknown>[]; restore(): void } {
  const lines: Record<string, unknown>[] = [];
  const collect = (chunk: string | Uint8Array) => {
    for (const text of String(chunk).split('\n'))
      if (text.startsWith('{"level"')) lines.push(JSON.parse(text) as Record<string, unknown>);
    return true;
  };
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation(collect),
    vi.spyOn(process.stderr, 'write').mockImplementation(collect),
  ];
  return { lines, restore: () => spies.forEach((spy) => spy.mockRestore()) };
}

export interface EmfLine {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: string }[];
    }[];
  };
  [field: string]: unknown;
}

/** Collects the EMF documents written to stdout from now on (Powertools Metrics writes there, one JSON per line). */
export function captureEmf(): { lines: EmfLine[]; restore(): void } {
  const lines: EmfLine[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    for (const text of String(chunk).split('\n')) {
      if (!text.startsWith('{"_aws"')) continue;
      lines.push(JSON.parse(text) as EmfLine);
    }
    return true;
  });
  return { lines, restore: () => spy.mockRestore() };
}

/** The value of one metric in an EMF document, with its unit and dimensions, as CloudWatch would read them. */
export function emfMetric(line: EmfLine, name: string) {
  const directive = line._aws.CloudWatchMetrics[0]!;
  const metric = directive.Metrics.find((m) => m.Name === name);
  if (!metric) return undefined;
  const dimensions = Object.fromEntries(
    (directive.Dimensions[0] ?? []).map((key) => [key, line[key] as string]),
  );
  return {
    namespace: directive.Namespace,
    unit: metric.Unit,
    value: line[name] as number,
    dimensions,
    atMs: line._aws.Timestamp,
  };
}

/** The bus as aws-sdk-client-mock answers it: every entry accepted, each PutEvents call kept. */
export function mockBus(bus: AwsClientStub<EventBridgeClient>) {
  bus.on(PutEventsCommand).callsFake((input: PutEventsCommandInput) => ({
    FailedEntryCount: 0,
    Entries: (input.Entries ?? []).map((_, i) => ({ EventId: `event-${i}` })),
  }));
  /** Every event put on the bus, its detail parsed. */
  return () =>
    bus.commandCalls(PutEventsCommand).flatMap((call) =>
      (call.args[0].input.Entries ?? []).map((entry) => ({
        source: entry.Source,
        detailType: entry.DetailType,
        busName: entry.EventBusName,
        detail: JSON.parse(entry.Detail ?? '{}') as Record<string, unknown>,
      })),
    );
}
