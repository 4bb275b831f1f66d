// The notify door: a Run Failed event to the webhook named by the stored config (its URL from Secrets Manager), credentials redacted.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context, EventBridgeEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { doorTable } from './support.ts';

const secrets = mockClient(SecretsManagerClient);
const posts: string[] = [];
let server: Server;
let webhookUrl: string;

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
    secrets.on(GetSecretValueCommand, { SecretId: 'team/slack-hook' }).resolves({ SecretString: webhookUrl });
    await doorTable({ slack: { webhookSecretName: 'team/slack-hook' } });
    vi.resetModules();
    const { handler } = await import('../../functions/notify.ts');
    const event = {
      version: '0',
      id: 'e-1',
      source: 'gpu-optimizer.decisions',
      'detail-type': 'Run Failed',
      account: '123456789012',
      time: '2026-03-02T10:00:00Z',
      region: 'us-east-1',
      resources: [],
      detail: {
        schemaVersion: '1',
        run: 'poll-connectors',
        at: '2026-03-02T10:00:00Z',
        error: 'GET https://ops:hunter2@prometheus.internal:9090/api/v1/query failed: 503',
      },
    } as unknown as EventBridgeEvent<string, unknown>;
    const result = await handler(event, {} as Context);
    expect(result).toBeDefined();
    expect(posts).toHaveLength(1);
    expect(posts[0]).toContain('poll-connectors');
    expect(posts[0]).toContain('prometheus.internal');
    expect(posts[0]).not.toContain('hunter2');
  });
});
