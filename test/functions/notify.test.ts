// The notify door: a Run Failed event to the webhook named by the stored config (its URL from Secrets Manager), credentials redacted.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { EventBridgeEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { scanTable } from '../support/dynamo.ts';
import { doorTable, lambdaContext } from './support.ts';

const secrets = mockClient(SecretsManagerClient);
const posts: string[] = [];
let server: Server;
let webhookUrl: string;

/** A Run Failed decision as the bus delivers it. */
function runFailed(id: string, run: string, error: string) {
  return {
    version: '0',
    id,
    source: 'gpu-optimizer.decisions',
    'detail-type': 'Run Failed',
    account: '123456789012',
    time: '2026-03-02T10:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail: { schemaVersion: '1', run, at: '2026-03-02T10:00:00Z', error },
  } as EventBridgeEvent<string, unknown>;
}

let table: Awaited<ReturnType<typeof doorTable>>;
/** The door over a fresh table whose config names the webhook's secret. */
async function door() {
  secrets.on(GetSecretValueCommand, { SecretId: 'team/slack-hook' }).resolves({ SecretString: webhookUrl });
  table = await doorTable({ slack: { webhookSecretName: 'team/slack-hook' } });
  vi.resetModules();
  return (await import('../../functions/notify.ts')).handler;
}

describe('functions/notify', () => {
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        posts.push(body);
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    webhookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/T000/B000/hook`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('posts a failed run to the configured webhook, with the URL password in its error redacted', async () => {
    const handler = await door();
    const event = runFailed(
      'e-1',
      'poll-connectors',
      'GET https://ops:hunter2@prometheus.internal:9090/api/v1/query failed: 503',
    );
    const result = await handler(event, lambdaContext('GpuOptimizer-Notify', 'req-1'));
    expect(result).toBeDefined();
    expect(posts).toHaveLength(1);
    expect(posts[0]).toContain('poll-connectors');
    expect(posts[0]).toContain('prometheus.internal');
    expect(posts[0]).not.toContain('hunter2');
  });

  it('posts an event once however it is redelivered: at once (one is refused as in progress) or later (its outcome)', async () => {
    posts.length = 0;
    const handler = await door();
    const { client, tableName } = table;
    const event = runFailed('6f2c1a7e-3b0d-4e8a-9c51-2d7f0e9b4a13', 'forecast', 'table throttled');
    const deliver = (requestId: string) =>
      handler(structuredClone(event), lambdaContext('GpuOptimizer-Notify', requestId));

    const [first, second] = await Promise.allSettled([deliver('req-a'), deliver('req-b')]);
    const done = [first, second].filter((r) => r.status === 'fulfilled');
    const refused = [first, second].filter((r) => r.status === 'rejected');
    expect(done).toHaveLength(1);
    // Lambda reports the refusal as an error, and EventBridge delivers the event again later.
    expect(String((refused[0] as PromiseRejectedResult).reason)).toMatch(
      /IdempotencyAlreadyInProgressError: .*already an execution in progress/,
    );
    expect(posts).toHaveLength(1);

    const later = await deliver('req-c');
    expect(later).toEqual((done[0] as PromiseFulfilledResult<unknown>).value);
    expect(later).toMatchObject({ status: 'delivered', detailType: 'Run Failed' });
    expect(posts).toHaveLength(1);
    // Nor is the redelivery noted for the daily digest as a second decision.
    const items = await scanTable(client, tableName);
    expect(items.filter((i) => String(i.PK).startsWith('NOTIFY_QUIET'))).toEqual([]);
    expect(items.filter((i) => String(i.PK).startsWith('IDEMPOTENCY#notify'))).toHaveLength(1);
  });
});
