// The GCP connector on the real @google-cloud/compute REST transport against a local Compute Engine server.
import { describe, expect, it } from 'vitest';
import { createConnectors, zConnectorsConfig } from '../../lib/connectors/config.ts';
import { createGcpComputeClients } from '../../lib/connectors/gcp/client.ts';
import { classifyGcpError, GcpOperationError } from '../../lib/connectors/gcp/errors.ts';
import { createGcpProvider } from '../../lib/connectors/gcp/provider.ts';
import { poolId } from '../../lib/domain/pool.ts';
import { describeCapacityProviderContract } from '../contracts/capacity-provider-contract.ts';
import {
  capacityKey,
  gcpFixture,
  startFakeCompute,
  staticTokenAuth,
  type FakeCompute,
} from '../fixtures/gcp/fake-compute.ts';

const PROJECT = 'ml-fleet';
const REGION = 'us-central1';
const A2_A = poolId('gcp', REGION, 'us-central1-a', 'a2-highgpu-1g');
const T4_B = poolId('gcp', REGION, 'us-central1-b', 'n1-standard-8+1xT4');
const MANAGED_ID = `projects/${PROJECT}/zones/us-central1-a/instances/train-a100-0`;
const PROTECTED_ID = `projects/${PROJECT}/zones/us-central1-b/instances/infer-t4-0`;

type Instance = Parameters<typeof startFakeCompute>[1][number];

function seed(): Instance[] {
  const a2 = gcpFixture('instance-a2-highgpu-1g-spot.json') as Instance;
  const t4 = gcpFixture('instance-n1-standard-8-t4.json') as Instance;
  const noGpu = {
    ...t4,
    name: 'web-0',
    machineType:
      'https://www.googleapis.com/compute/v1/projects/ml-fleet/zones/us-central1-b/machineTypes/e2-standard-4',
    guestAccelerators: [],
    labels: { 'gpu-optimizer-managed': 'true' },
  } as Instance;
  const notOurs = { ...a2, name: 'someone-elses', labels: { team: 'llm' } } as Instance;
  return [a2, t4, noGpu, notOurs];
}

async function fleet(setup?: (fake: FakeCompute) => void) {
  const fake = await startFakeCompute(PROJECT, seed());
  setup?.(fake);
  const clients = await createGcpComputeClients({
    apiEndpoint: '127.0.0.1',
    port: fake.port,
    protocol: 'http',
    authClient: staticTokenAuth(),
  });
  const provider = createGcpProvider({
    ...clients,
    project: PROJECT,
    region: REGION,
    zones: ['us-central1-a', 'us-central1-b'],
    machineTypes: ['a2-highgpu-1g', 'n1-standard-8+1xT4'],
    instanceTemplate: `projects/${PROJECT}/global/instanceTemplates/gpu-node`,
  });
  return {
    fake,
    provider,
    close: async () => {
      await clients.close();
      await fake.close();
    },
  };
}

describeCapacityProviderContract('gcp (Compute Engine REST on 127.0.0.1)', async () => {
  const { provider, close } = await fleet((f) =>
    f.capacity.set(capacityKey('us-central1-a', 'a2-highgpu-1g', 'SPOT'), 3),
  );
  return {
    provider,
    releasableNodeId: MANAGED_ID,
    protectedNodeId: PROTECTED_ID,
    releaseMethod: 'terminate',
    launch: { poolId: A2_A, option: 'spot', available: 3 },
    cleanup: close,
  };
});

describe('GCP connector', () => {
  it('lists managed GPU VMs across aggregatedList pages, with GPUs from the catalog or the attached accelerators', async () => {
    const { fake, provider, close } = await fleet();
    try {
      const nodes = await provider.nodes();
      expect(nodes.map((n) => n.nodeId).sort()).toEqual([PROTECTED_ID, MANAGED_ID].sort());
      const lists = fake.requests.filter((r) => r.path.endsWith('/aggregated/instances'));
      expect(lists).toHaveLength(2);
      expect(lists[0]!.query.filter).toBe('labels.gpu-optimizer-managed = "true"');
      expect(lists[1]!.query.pageToken).toBe('2');
      expect(nodes.find((n) => n.nodeId === MANAGED_ID)).toMatchObject({
        provider: 'gcp',
        poolId: A2_A,
        region: REGION,
        zone: 'us-central1-a',
        gpuModel: 'A100',
        gpuCount: 1,
        purchaseOption: 'spot',
        state: 'running',
        labels: { team: 'llm' },
        managed: true,
        protected: false,
        launchedAt: '2026-01-05T09:12:44.521Z',
      });
      expect(nodes.find((n) => n.nodeId === PROTECTED_ID)).toMatchObject({
        poolId: T4_B,
        instanceType: 'n1-standard-8+1xT4',
        gpuModel: 'T4',
        purchaseOption: 'on-demand',
        protected: true,
      });
    } finally {
      await close();
    }
  });

  it('inserts a spot VM from the instance template with SPOT scheduling, and an on-demand N1 with its T4 attached', async () => {
    const { fake, provider, close } = await fleet();
    try {
      const spot = await provider.launch({
        poolId: A2_A,
        option: 'spot',
        count: 1,
        labels: { team: 'Vision Team' },
      });
      expect(spot.failures).toEqual([]);
      expect(spot.launched[0]).toMatchObject({ poolId: A2_A, purchaseOption: 'spot', state: 'pending' });
      const insert = fake.requests.find((r) => r.method === 'POST' && r.path.endsWith('/instances'))!;
      expect(insert.query.sourceInstanceTemplate).toBe(
        `projects/${PROJECT}/global/instanceTemplates/gpu-node`,
      );
      expect(insert.query.requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(insert.body).toMatchObject({
        machineType: 'zones/us-central1-a/machineTypes/a2-highgpu-1g',
        labels: { 'gpu-optimizer-managed': 'true', team: 'vision-team' },
        scheduling: {
          provisioningModel: 'SPOT',
          instanceTerminationAction: 'DELETE',
          onHostMaintenance: 'TERMINATE',
        },
      });
      expect(fake.requests.some((r) => r.path.endsWith('/wait'))).toBe(true);

      const onDemand = await provider.launch({ poolId: T4_B, option: 'on-demand', count: 1 });
      expect(onDemand.launched[0]).toMatchObject({
        poolId: T4_B,
        purchaseOption: 'on-demand',
        gpuModel: 'T4',
        gpuCount: 1,
      });
      const n1 = fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/instances'))[1]!;
      expect(n1.body).toMatchObject({
        machineType: 'zones/us-central1-b/machineTypes/n1-standard-8',
        guestAccelerators: [
          { acceleratorType: 'zones/us-central1-b/acceleratorTypes/nvidia-tesla-t4', acceleratorCount: 1 },
        ],
        scheduling: { provisioningModel: 'STANDARD', onHostMaintenance: 'TERMINATE' },
      });
      expect(await provider.launch({ poolId: A2_A, option: 'reserved', count: 1 })).toMatchObject({
        failures: [{ code: 'unsupported', count: 1 }],
      });
    } finally {
      await close();
    }
  });

  it('reports ZONE_RESOURCE_POOL_EXHAUSTED and a GPU quota as failure entries, never a thrown run', async () => {
    const { fake, provider, close } = await fleet((f) => {
      f.capacity.set(capacityKey('us-central1-a', 'a2-highgpu-1g', 'STANDARD'), 1);
      f.quotaExceededZones.add('us-central1-b');
    });
    try {
      const short = await provider.launch({ poolId: A2_A, option: 'on-demand', count: 3 });
      expect(short.launched).toHaveLength(1);
      expect(short.failures).toEqual([
        {
          poolId: A2_A,
          option: 'on-demand',
          count: 2,
          code: 'insufficient-capacity',
          message: expect.stringMatching(
            /^ZONE_RESOURCE_POOL_EXHAUSTED: The zone .* does not have enough resources/,
          ),
        },
      ]);
      const quota = await provider.launch({ poolId: T4_B, option: 'spot', count: 2 });
      expect(quota.launched).toEqual([]);
      expect(quota.failures[0]).toMatchObject({
        count: 2,
        code: 'limit-exceeded',
        message: expect.stringMatching(/Quota 'NVIDIA_A100_GPUS' exceeded/),
      });
      expect(fake.instances.filter((i) => i.status === 'PROVISIONING')).toHaveLength(1);
    } finally {
      await close();
    }
  });

  it('stops a VM, refuses unmanaged VMs and methods Compute Engine does not offer', async () => {
    const { fake, provider, close } = await fleet();
    try {
      const stopped = await provider.release({ nodeIds: [MANAGED_ID], method: 'stop' });
      expect(stopped).toEqual({ released: [MANAGED_ID], refused: [] });
      expect(fake.instances.find((i) => i.name === 'train-a100-0')?.status).toBe('TERMINATED');
      expect((await provider.nodes()).find((n) => n.nodeId === MANAGED_ID)?.state).toBe('stopped');
      const notOurs = `projects/${PROJECT}/zones/us-central1-a/instances/someone-elses`;
      const refused = await provider.release({ nodeIds: [notOurs], method: 'terminate' });
      expect(refused.refused).toEqual([{ nodeId: notOurs, reason: expect.stringMatching(/^unmanaged/) }]);
      expect(fake.instances.some((i) => i.name === 'someone-elses')).toBe(true);
      const drain = await provider.release({ nodeIds: [MANAGED_ID], method: 'drain' });
      expect(drain.refused[0]!.reason).toMatch(/not offered/);
    } finally {
      await close();
    }
  });

  it('keeps the mark time as a label and the free-text reason in metadata, with the fingerprints it read', async () => {
    const { fake, provider, close } = await fleet();
    try {
      await provider.mark(MANAGED_ID, {
        markedAt: '2026-01-05T10:00:00.250Z',
        reason: 'Idle: 0% for 45 min',
      });
      const vm = fake.instances.find((i) => i.name === 'train-a100-0')!;
      expect(vm.labels).toEqual({
        'gpu-optimizer-managed': 'true',
        team: 'llm',
        'gpu-optimizer-marked-at': '1767607200250',
      });
      expect((vm.metadata as { items: unknown[] }).items).toContainEqual({
        key: 'gpu-optimizer-mark-reason',
        value: 'Idle: 0% for 45 min',
      });
      expect((vm.metadata as { items: unknown[] }).items).toContainEqual({
        key: 'install-nvidia-driver',
        value: 'True',
      });
      await provider.unmark(MANAGED_ID);
      expect(vm.labels).toEqual({ 'gpu-optimizer-managed': 'true', team: 'llm' });
    } finally {
      await close();
    }
  });

  it('quotes the catalog list prices of its machine types, region-wide', async () => {
    const { provider, close } = await fleet();
    try {
      const quotes = await provider.prices();
      const a2 = quotes.filter((q) => q.poolId === 'gcp:us-central1:any:a2-highgpu-1g');
      expect(a2.map((q) => q.option).sort()).toEqual(['on-demand', 'reserved', 'reserved', 'spot']);
      expect(a2.find((q) => q.option === 'on-demand')).toMatchObject({
        usdPerHour: 3_673_390n,
        source: 'catalog',
      });
      expect(quotes.some((q) => q.poolId === 'gcp:us-central1:any:n1-standard-8+1xT4')).toBe(true);
      expect(await provider.utilization(0, 1)).toEqual([]);
    } finally {
      await close();
    }
  });
});

describe('GCP error classifier', () => {
  it.each([
    [new GcpOperationError('ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS', 'x'), 'insufficient-capacity'],
    [new GcpOperationError('QUOTA_EXCEEDED', "Quota 'GPUS_ALL_REGIONS' exceeded."), 'limit-exceeded'],
    [
      Object.assign(new Error("Quota 'CPUS' exceeded.  Limit: 24.0 in region us-central1."), { code: 7 }),
      'limit-exceeded',
    ],
    [Object.assign(new Error('The resource was not found'), { code: 5 }), 'unsupported'],
    [Object.assign(new Error('Required permission compute.instances.create'), { code: 7 }), 'error'],
  ])('%s → %s', (error, code) => {
    expect(classifyGcpError(error).code).toBe(code);
  });
});

describe('GCP in the connectors config', () => {
  it('builds a GCP provider from a validated config, and names the field a bad config gets wrong', async () => {
    const config = {
      project: PROJECT,
      region: REGION,
      zones: ['us-central1-a'],
      machineTypes: ['a2-highgpu-1g'],
      instanceTemplate: `projects/${PROJECT}/global/instanceTemplates/gpu-node`,
    };
    const [provider] = createConnectors(zConnectorsConfig.parse({ gcp: config }));
    expect(provider?.name).toBe('gcp-ml-fleet-us-central1');
    const bad = zConnectorsConfig.safeParse({ gcp: { ...config, zones: [] } });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['gcp', 'zones']);
  });
});
