// An embedded DynamoDB: dynalite in this process on 127.0.0.1, for tests and `simulate`.
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import type { Store } from '../domain/ports.ts';
import { createDynamoStore } from './index.ts';
import type { RetryPolicy } from './io.ts';
import { createTable } from './table.ts';

export { createTable } from './table.ts';

/** Any region will do locally; the engine ignores it, the SDK needs one. */
const LOCAL_REGION = 'us-east-1';

export interface LocalEngine {
  endpoint: string;
  close(): Promise<void>;
}

/** Starts dynalite in memory on an ephemeral port of 127.0.0.1, with tables ready at once. */
export async function startDynalite(): Promise<LocalEngine> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

export interface LocalClientOptions {
  /** SDK attempts per call (1 = no SDK retry, so tests see exactly what the store handles). */
  maxAttempts?: number;
}

/** A document client for a local engine: dummy credentials, a fixed region. */
export function localDocumentClient(
  endpoint: string,
  options: LocalClientOptions = {},
): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    endpoint,
    region: LOCAL_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: options.maxAttempts ?? 3,
    // Ingest updates a few hundred nodes at once; the default 50 sockets would queue them with a warning.
    requestHandler: { httpAgent: { maxSockets: 256 } },
  });
  return DynamoDBDocumentClient.from(client);
}

export interface EmbeddedDynamo {
  endpoint: string;
  client: DynamoDBDocumentClient;
  store: Store;
  tableName: string;
  close(): Promise<void>;
}

/** dynalite, its table and a Store over it; `close` stops all three. */
export async function startEmbeddedDynamo(
  options: { tableName?: string; retry?: Partial<RetryPolicy> } = {},
): Promise<EmbeddedDynamo> {
  const engine = await startDynalite();
  const client = localDocumentClient(engine.endpoint);
  const tableName = options.tableName ?? `gpu-optimizer-${randomUUID()}`;
  try {
    await createTable(client, tableName);
  } catch (error) {
    client.destroy();
    await engine.close();
    throw error;
  }
  return {
    endpoint: engine.endpoint,
    client,
    tableName,
    store: createDynamoStore({ client, tableName, retry: options.retry }),
    close: async () => {
      client.destroy();
      await engine.close();
    },
  };
}
