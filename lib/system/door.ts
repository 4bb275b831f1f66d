// What every Lambda door shares: its environment read by the catalogue's schema, Powertools Logger, Metrics and idempotency, the stored config, the assembly.
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { createDoorMetrics, type DoorMetrics } from '../adapters/metrics.ts';
import { once } from '../adapters/aws-ports.ts';
import type { LogLevel, Logger as RunLogger } from '../domain/ports.ts';
import { formatUsd } from '../domain/money.ts';
import { parseOrThrow } from '../domain/validation.ts';
import { assemble, type Assembly } from './assembly.ts';
import type { IdempotencyMiddleware } from './idempotency.ts';
import {
  environmentSchema,
  RUNS,
  type EnvironmentKey,
  type FunctionName,
  type RunEntry,
} from './catalogue.ts';
import type { DeployConfig } from './config.ts';
import { readStoredConfig } from './config-store.ts';
import { redactSecrets, redactText } from '../domain/redact.ts';

/** The log line a use case hands its `log` port: a level, a message (or msg), and fields. */
export type RunLog = (entry: Record<string, unknown>) => void;

export interface Door<N extends FunctionName> {
  name: N;
  entry: (typeof RUNS)[N];
  environment: Readonly<Partial<Record<EnvironmentKey, string>>>;
  logger: Logger;
  metrics: DoorMetrics;
  /** The use cases' `log` port, onto the Powertools logger, every field redacted. */
  log: RunLog;
  /** The ingest-style logger port, onto the same logger. */
  runLogger: RunLogger;
  /** The stored config and the ports built from it, once per container (a failed attempt is retried). */
  system(): Promise<{ config: DeployConfig; assembly: Assembly }>;
  /** The ports every run that acts on the fleet takes: the table, the bus, every configured fleet, the clock, the log. */
  fleetPorts(): Promise<FleetPorts>;
  /**
   * The handler wrapped as every door is: the logger gets the Lambda context; the result goes out as JSON. A run
   * the catalogue says must not act twice is also given the idempotency middleware (lib/system/idempotency.ts),
   * which its door imports so that no other bundle carries it.
   */
  wrap<E, R>(
    handler: (event: E, context: Context) => Promise<R>,
    idempotency?: IdempotencyMiddleware,
  ): middy.MiddyfiedHandler<E, Wire<R>>;
}

/** A result as the Lambda runtime serializes it: money (bigint micro-dollars) as its 6-place decimal string. */
export type Wire<T> = T extends bigint
  ? string
  : T extends readonly (infer U)[]
    ? Wire<U>[]
    : T extends object
      ? { [K in keyof T]: Wire<T[K]> }
      : T;

/** JSON has no bigint (the runtime would fail the invocation, and its retry act again): money goes as text. */
export function toWire<T>(value: T): Wire<T> {
  if (typeof value === 'bigint') return formatUsd(value) as Wire<T>;
  if (Array.isArray(value)) return value.map(toWire) as Wire<T>;
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toWire(v)])) as Wire<T>;
  return value as Wire<T>;
}

export interface FleetPorts {
  store: Awaited<ReturnType<Assembly['store']>>;
  events: Awaited<ReturnType<Assembly['events']>>;
  providers: Awaited<ReturnType<Assembly['providers']>>;
  clock: Assembly['clock'];
  log: RunLog;
}

const LEVELS = new Set<LogLevel>(['debug', 'info', 'warn', 'error']);

function levelOf(value: unknown): LogLevel {
  const level = String(value ?? 'info').toLowerCase();
  return LEVELS.has(level as LogLevel) ? (level as LogLevel) : 'info';
}

/**
 * Opens the door of one catalogue entry: reads the environment (a missing variable fails the first
 * invocation, naming it), and prepares the rest for first use.
 */
export function openDoor<N extends FunctionName>(name: N, env: NodeJS.ProcessEnv = process.env): Door<N> {
  const entry = RUNS[name];
  const environment = parseOrThrow(environmentSchema(entry as RunEntry), env, `${name} function environment`);
  const logger = new Logger({ serviceName: `gpu-optimizer-${name}` });
  const write = (level: LogLevel, message: string, fields: Record<string, unknown> = {}) =>
    logger[level](redactText(message), redactSecrets(fields));
  const log: RunLog = ({ level, message, msg, ...fields }) =>
    write(levelOf(level), String(message ?? msg ?? entry.run), fields);
  const system = once(async () => {
    const [{ DynamoDBClient }, { DynamoDBDocumentClient }] = await Promise.all([
      import('@aws-sdk/client-dynamodb'),
      import('@aws-sdk/lib-dynamodb'),
    ]);
    const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));
    const tableName = environment.TABLE_NAME!;
    const config = await readStoredConfig(client, tableName, environment.CONFIG_VERSION!);
    const assembly = assemble({
      engine: 'aws',
      config,
      tableName,
      ...(environment.EVENT_BUS_NAME ? { eventBusName: environment.EVENT_BUS_NAME } : {}),
      log: write,
    });
    return { config, assembly };
  });
  return {
    name,
    entry,
    environment,
    logger,
    metrics: createDoorMetrics(name),
    log,
    runLogger: { log: write },
    system,
    async fleetPorts() {
      const { assembly } = await system();
      return {
        store: await assembly.store(),
        events: await assembly.events(),
        providers: await assembly.providers(),
        clock: assembly.clock,
        log,
      };
    },
    wrap: <E, R>(
      handler: (event: E, context: Context) => Promise<R>,
      idempotency?: IdempotencyMiddleware,
    ) => {
      const spec = (entry as RunEntry).idempotency;
      if (spec && !idempotency)
        throw new Error(
          `the ${name} door must not act twice (its catalogue entry): wrap it with idempotencyMiddleware`,
        );
      if (idempotency && !spec)
        throw new Error(
          `the ${name} door has no idempotency in its catalogue entry: say what its event key is there`,
        );
      const wrapped = middy<E, Wire<R>>(
        async (event: E, context: Context) => toWire(await handler(event, context)) as Wire<R>,
      ).use(injectLambdaContext(logger));
      return spec && idempotency ? wrapped.use(idempotency(name, spec, environment.TABLE_NAME!)) : wrapped;
    },
  };
}
