// An embedded DynamoDB: dynalite on a worker thread of this process, on 127.0.0.1, for tests and `simulate`.
import { randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
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

/**
 * Starts dynalite in memory on an ephemeral port of 127.0.0.1, with tables ready at once. It runs on a worker
 * thread: the store's callers keep this thread's core, the engine gets the other (the replayed day through the
 * real runs spends about a third of its time inside the engine).
 */
export async function startDynalite(): Promise<LocalEngine> {
  const worker = new Worker(new URL('./dynalite-thread.mjs', import.meta.url));
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', (message: { port?: number; error?: string }) =>
      message.port === undefined
        ? reject(new Error(`the embedded DynamoDB (dynalite) did not start: ${message.error}`))
        : resolve(message.port),
    );
    worker.once('error', reject);
    worker.once('exit', (code) =>
      reject(
        new Error(`the embedded DynamoDB (dynalite) thread exited with code ${code} before it listened`),
      ),
    );
  }).catch(async (error: unknown) => {
    await worker.terminate();
    throw error;
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: async () => {
      worker.postMessage('close');
      await exited;
    },
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
