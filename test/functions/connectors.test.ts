// The connectors door: the stored config's fleets polled with their tokens from Secrets Manager, each fleet's
// snapshot put on the bus; a fleet that cannot be reached, or whose secret cannot be read, fails alone.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startOneH100Cluster, type FakeKubeApiServer } from '../connectors/fake-kube-apiserver.ts';
import { doorTable, lambdaContext, mockBus, schedulerEvent } from './support.ts';

const NOW = Date.parse('2026-01-05T10:07:30Z');
const KUBE_TOKEN = 'kube-bearer-token-from-secrets-manager';

const secrets = mockClient(SecretsManagerClient);
const bus = mockClient(EventBridgeClient);
const putEvents = mockBus(bus);

let kube: FakeKubeApiServer;
/** In front of the fake API server: notes the Authorization header each request carried. */
let front: Server;
let kubeUrl: string;
const authorizations: (string | undefined)[] = [];

/** A Kubernetes fleet (token by reference) and a Slurm one; nothing listens on port 9 of 127.0.0.1. */
const connectors = () => ({
  kubernetes: { url: kubeUrl, cluster: 'lab', tokenSecretName: 'gpu-optimizer/kube-token' },
  slurm: {
    url: 'http://127.0.0.1:9',
    user: 'root',
    cluster: 'hpc',
    tokenSecretName: 'gpu-optimizer/slurm-jwt',
  },
});

async function door() {
  await doorTable({ connectors: connectors() });
  vi.resetModules();
  const { handler } = await import('../../functions/connectors.ts');
  return () => handler(schedulerEvent(NOW, 'connectors'), lambdaContext('GpuOptimizer-Connectors', 'req-1'));
}

describe('functions/connectors', () => {
  beforeAll(async () => {
    kube = await startOneH100Cluster();
    front = createServer((req, res) => {
      authorizations.push(req.headers.authorization);
      void fetch(`${kube.url}${req.url}`).then(async (answer) => {
        res.writeHead(answer.status, { 'content-type': 'application/json' }).end(await answer.text());
      });
    });
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    kubeUrl = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(NOW);
  });
  afterAll(async () => {
    vi.useRealTimers();
    await new Promise<void>((resolve) => front.close(() => resolve()));
    await kube.close();
  });
  beforeEach(() => {
    secrets.reset();
    bus.resetHistory();
    authorizations.length = 0;
  });

  it("puts each fleet's snapshot on the bus with its secret's token, and a Run Failed for the fleet that cannot be reached", async () => {
    secrets
      .on(GetSecretValueCommand, { SecretId: 'gpu-optimizer/kube-token' })
      .resolves({ SecretString: KUBE_TOKEN });
    secrets
      .on(GetSecretValueCommand, { SecretId: 'gpu-optimizer/slurm-jwt' })
      .resolves({ SecretString: 'jwt' });
    const invoke = await door();

    const result = await invoke();

    expect(
      result.connectors.map((c) => [c.connector, c.nodes, c.gpusRunning, c.errors.map((e) => e.part)]),
    ).toEqual([
      ['slurm', 0, 0, ['snapshot']],
      ['kubernetes-lab', 1, 8, []],
    ]);
    expect(authorizations.length).toBeGreaterThan(0);
    expect(new Set(authorizations)).toEqual(new Set([`Bearer ${KUBE_TOKEN}`]));
    const events = putEvents();
    expect(events.filter((e) => e.detailType === 'Capacity Snapshot')).toEqual([
      expect.objectContaining({
        source: 'gpu-optimizer.connector',
        busName: 'gpu-optimizer',
        detail: expect.objectContaining({
          connector: 'kubernetes-lab',
          takenAt: '2026-01-05T10:07:30Z',
          demand: [expect.objectContaining({ team: 'llm', gpusRunning: 8, gpusPending: 0 })],
        }),
      }),
    ]);
    expect(events.filter((e) => e.detailType === 'Run Failed').map((e) => e.detail)).toEqual([
      expect.objectContaining({
        run: 'poll-connectors',
        part: 'slurm:snapshot',
        error: expect.stringMatching(/slurm: GET \/openapi\/v3 got no answer/),
      }),
    ]);
    expect(result.eventFailures).toEqual([]);
  });

  it('polls the other fleets when one fleet’s secret cannot be read, and says which secret', async () => {
    secrets
      .on(GetSecretValueCommand, { SecretId: 'gpu-optimizer/kube-token' })
      .resolves({ SecretString: KUBE_TOKEN });
    secrets.on(GetSecretValueCommand, { SecretId: 'gpu-optimizer/slurm-jwt' }).rejects(
      new ResourceNotFoundException({
        message: "Secrets Manager can't find the specified secret.",
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const invoke = await door();

    const result = await invoke();

    const byName = new Map(result.connectors.map((c) => [c.connector, c]));
    expect(byName.get('kubernetes-lab')).toMatchObject({ nodes: 1, gpusRunning: 8, errors: [] });
    expect(byName.get('slurm')!.errors.map((e) => e.error)).toEqual([
      expect.stringContaining('gpu-optimizer/slurm-jwt'),
      expect.stringContaining('gpu-optimizer/slurm-jwt'),
    ]);
    const events = putEvents();
    expect(events.filter((e) => e.detailType === 'Capacity Snapshot').map((e) => e.detail.connector)).toEqual(
      ['kubernetes-lab'],
    );
    expect(
      events
        .filter((e) => e.detailType === 'Run Failed')
        .map((e) => String(e.detail.part))
        .sort(),
    ).toEqual(['slurm:snapshot', 'slurm:utilization']);

    // The secret is fixed while the container lives on: the next poll reads it, and reaches for the fleet.
    secrets
      .on(GetSecretValueCommand, { SecretId: 'gpu-optimizer/slurm-jwt' })
      .resolves({ SecretString: 'jwt' });
    const next = await invoke();
    expect(next.connectors.find((c) => c.connector === 'slurm')!.errors).toEqual([
      { part: 'snapshot', error: expect.stringMatching(/slurm: GET \/openapi\/v3 got no answer/) },
    ]);
  });
});
