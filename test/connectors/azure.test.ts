// The Azure connector on the real @azure/arm-compute pipeline (bearer auth, paging, LROs) against a local Resource Manager server.
import { describe, expect, it } from 'vitest';
import { createAzureComputeClient } from '../../lib/connectors/azure/client.ts';
import { createConnectors, zConnectorsConfig } from '../../lib/connectors/config.ts';
import { classifyAzureError } from '../../lib/connectors/azure/errors.ts';
import { createAzureProvider } from '../../lib/connectors/azure/provider.ts';
import { poolId } from '../../lib/domain/pool.ts';
import { describeCapacityProviderContract } from '../contracts/capacity-provider-contract.ts';
import {
  armCapacityKey,
  azureFixture,
  httpsToLocal,
  startFakeArm,
  staticCredential,
  SUBSCRIPTION,
  type ArmVm,
  type FakeArm,
} from '../fixtures/azure/fake-arm.ts';

const GROUP = 'gpu-fleet';
const LOCATION = 'eastus';
const vmId = (name: string) =>
  `/subscriptions/${SUBSCRIPTION}/resourceGroups/${GROUP}/providers/Microsoft.Compute/virtualMachines/${name}`;
const MANAGED_ID = vmId('train-a100-0');
const PROTECTED_ID = vmId('infer-t4-0');
const A100_Z1 = poolId('azure', LOCATION, '1', 'Standard_NC24ads_A100_v4');
const T4_Z2 = poolId('azure', LOCATION, '2', 'Standard_NC4as_T4_v3');

function seed(): ArmVm[] {
  const a100 = azureFixture<ArmVm>('vm-nc24ads-a100-v4-spot.json');
  const t4 = azureFixture<ArmVm>('vm-nc4as-t4-v3-protected.json');
  const cpu: ArmVm = {
    ...t4,
    name: 'web-0',
    id: vmId('web-0'),
    tags: { 'gpu-optimizer-managed': 'true' },
    properties: { ...t4.properties, hardwareProfile: { vmSize: 'Standard_D4s_v5' } },
  };
  const notOurs: ArmVm = { ...a100, name: 'someone-elses', id: vmId('someone-elses'), tags: { team: 'llm' } };
  return [a100, t4, cpu, notOurs];
}

async function fleet(setup?: (fake: FakeArm) => void) {
  const fake = await startFakeArm(GROUP, seed());
  setup?.(fake);
  const compute = await createAzureComputeClient({
    subscriptionId: SUBSCRIPTION,
    endpoint: fake.endpoint,
    credential: staticCredential(),
    httpClient: httpsToLocal(),
    maxRetries: 0,
  });
  const provider = createAzureProvider({
    compute,
    resourceGroup: GROUP,
    location: LOCATION,
    zones: ['1', '2'],
    vmSizes: ['Standard_NC24ads_A100_v4', 'Standard_NC4as_T4_v3'],
    template: {
      image: { publisher: 'microsoft-dsvm', offer: 'ubuntu-hpc', sku: '2204', version: 'latest' },
      adminUsername: 'azureuser',
      sshPublicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTestsOnly gpu-optimizer',
      subnetId: `/subscriptions/${SUBSCRIPTION}/resourceGroups/${GROUP}/providers/Microsoft.Network/virtualNetworks/gpu/subnets/nodes`,
    },
    pollIntervalMs: 1,
  });
  return { fake, provider, close: () => fake.close() };
}

describeCapacityProviderContract('azure (Resource Manager on 127.0.0.1)', async () => {
  const { provider, close } = await fleet((f) =>
    f.capacity.set(armCapacityKey('1', 'Standard_NC24ads_A100_v4', 'Spot'), 3),
  );
  return {
    provider,
    releasableNodeId: MANAGED_ID,
    protectedNodeId: PROTECTED_ID,
    releaseMethod: 'terminate',
    launch: { poolId: A100_Z1, option: 'spot', available: 3 },
    cleanup: close,
  };
});

describe('Azure connector', () => {
  it('lists managed GPU VMs across pages, with power state from the instance view', async () => {
    const { fake, provider, close } = await fleet((f) => f.power.set('infer-t4-0', 'PowerState/deallocated'));
    try {
      const nodes = await provider.nodes();
      expect(nodes.map((n) => n.nodeId).sort()).toEqual([PROTECTED_ID, MANAGED_ID].sort());
      expect(fake.requests.filter((r) => r.path.endsWith('/virtualMachines'))).toHaveLength(2);
      expect(nodes.find((n) => n.nodeId === MANAGED_ID)).toMatchObject({
        provider: 'azure',
        poolId: A100_Z1,
        zone: '1',
        gpuModel: 'A100-80GB',
        gpuCount: 1,
        purchaseOption: 'spot',
        state: 'running',
        labels: { team: 'llm' },
        launchedAt: '2026-01-05T09:12:44.521Z',
      });
      expect(nodes.find((n) => n.nodeId === PROTECTED_ID)).toMatchObject({
        poolId: poolId('azure', LOCATION, 'any', 'Standard_NC4as_T4_v3'),
        purchaseOption: 'on-demand',
        state: 'stopped',
        protected: true,
      });
    } finally {
      await close();
    }
  });

  it('creates a Spot VM with evictionPolicy Delete and a Regular one, each through its long-running operation', async () => {
    const { fake, provider, close } = await fleet();
    try {
      const spot = await provider.launch({
        poolId: A100_Z1,
        option: 'spot',
        count: 1,
        labels: { team: 'vision' },
      });
      expect(spot.failures).toEqual([]);
      expect(spot.launched[0]).toMatchObject({ poolId: A100_Z1, purchaseOption: 'spot', state: 'running' });
      const put = fake.requests.find((r) => r.method === 'PUT')!;
      expect(put.body).toMatchObject({
        location: LOCATION,
        zones: ['1'],
        tags: { 'gpu-optimizer-managed': 'true', team: 'vision' },
        properties: {
          hardwareProfile: { vmSize: 'Standard_NC24ads_A100_v4' },
          priority: 'Spot',
          evictionPolicy: 'Delete',
          billingProfile: { maxPrice: -1 },
          networkProfile: { networkApiVersion: '2020-11-01' },
        },
      });
      expect(fake.requests.some((r) => r.method === 'GET' && r.path.includes('/operations/'))).toBe(true);
      const regular = await provider.launch({ poolId: T4_Z2, option: 'on-demand', count: 1 });
      expect(regular.launched[0]).toMatchObject({
        poolId: T4_Z2,
        purchaseOption: 'on-demand',
        gpuModel: 'T4',
      });
      const second = fake.requests.filter((r) => r.method === 'PUT')[1]!;
      expect(second.body).toMatchObject({ zones: ['2'], properties: { priority: 'Regular' } });
      expect((second.body!.properties as Record<string, unknown>).evictionPolicy).toBeUndefined();
    } finally {
      await close();
    }
  });

  it('reports an allocation failure, SkuNotAvailable and a cores quota as failure entries, and removes the failed VM', async () => {
    const { fake, provider, close } = await fleet((f) => {
      f.capacity.set(armCapacityKey('1', 'Standard_NC24ads_A100_v4', 'Regular'), 1);
      f.skuNotAvailable.add('Standard_NC4as_T4_v3');
    });
    try {
      const short = await provider.launch({ poolId: A100_Z1, option: 'on-demand', count: 3 });
      expect(short.launched).toHaveLength(1);
      expect(short.failures).toEqual([
        {
          poolId: A100_Z1,
          option: 'on-demand',
          count: 2,
          code: 'insufficient-capacity',
          message: expect.stringMatching(/^ZonalAllocationFailed: .*sufficient capacity/),
        },
      ]);
      expect(fake.vms.filter((vm) => vm.properties.provisioningState === 'Failed')).toEqual([]);
      const sku = await provider.launch({ poolId: T4_Z2, option: 'spot', count: 1 });
      expect(sku.failures[0]).toMatchObject({
        code: 'insufficient-capacity',
        message: expect.stringMatching(/^SkuNotAvailable/),
      });
      fake.quotaExceeded.add('Spot');
      const quota = await provider.launch({ poolId: A100_Z1, option: 'spot', count: 2 });
      expect(quota.failures[0]).toMatchObject({
        count: 2,
        code: 'limit-exceeded',
        message: expect.stringMatching(/LowPriorityCores quota/),
      });
    } finally {
      await close();
    }
  });

  it('deallocates on stop, refuses unmanaged VMs and methods Azure does not offer', async () => {
    const { fake, provider, close } = await fleet();
    try {
      expect(await provider.release({ nodeIds: [MANAGED_ID], method: 'stop' })).toEqual({
        released: [MANAGED_ID],
        refused: [],
      });
      expect(
        fake.requests.some((r) => r.method === 'POST' && r.path.endsWith('/train-a100-0/deallocate')),
      ).toBe(true);
      expect((await provider.nodes()).find((n) => n.nodeId === MANAGED_ID)?.state).toBe('stopped');
      const notOurs = vmId('someone-elses');
      const refused = await provider.release({ nodeIds: [notOurs], method: 'terminate' });
      expect(refused.refused).toEqual([{ nodeId: notOurs, reason: expect.stringMatching(/^unmanaged/) }]);
      expect(fake.vms.some((vm) => vm.name === 'someone-elses')).toBe(true);
      expect(
        (await provider.release({ nodeIds: [MANAGED_ID], method: 'power-down' })).refused[0]!.reason,
      ).toMatch(/not offered/);
    } finally {
      await close();
    }
  });

  it('marks with tags and keeps the other tags, since a PATCH replaces the whole set', async () => {
    const { fake, provider, close } = await fleet();
    try {
      await provider.mark(MANAGED_ID, { markedAt: '2026-01-05T10:00:00Z', reason: 'idle 45 min' });
      const vm = fake.vms.find((v) => v.name === 'train-a100-0')!;
      expect(vm.tags).toEqual({
        'gpu-optimizer-managed': 'true',
        team: 'llm',
        'gpu-optimizer-marked-at': '2026-01-05T10:00:00Z',
        'gpu-optimizer-mark-reason': 'idle 45 min',
      });
      await provider.unmark(MANAGED_ID);
      expect(vm.tags).toEqual({ 'gpu-optimizer-managed': 'true', team: 'llm' });
      expect(fake.requests.filter((r) => r.method === 'PATCH')).toHaveLength(2);
    } finally {
      await close();
    }
  });

  it('quotes the catalog list prices of its sizes, region-wide', async () => {
    const { provider, close } = await fleet();
    try {
      const quotes = await provider.prices();
      expect(
        quotes.find(
          (q) => q.poolId === 'azure:eastus:any:Standard_NC24ads_A100_v4' && q.option === 'on-demand',
        ),
      ).toMatchObject({ usdPerHour: 3_673_000n, source: 'catalog', modelled: false });
      expect(await provider.queue()).toEqual([]);
    } finally {
      await close();
    }
  });
});

describe('Azure error classifier', () => {
  it.each([
    [Object.assign(new Error('x'), { code: 'AllocationFailed' }), 'insufficient-capacity'],
    [
      Object.assign(new Error('Operation results in exceeding quota limits of Core.'), {
        code: 'OperationNotAllowed',
      }),
      'limit-exceeded',
    ],
    [
      Object.assign(new Error('Operation is not allowed on a VM that is being deleted.'), {
        code: 'OperationNotAllowed',
      }),
      'error',
    ],
    [
      new Error(
        'The long-running operation has failed. OverconstrainedAllocationRequest. Allocation failed.',
      ),
      'insufficient-capacity',
    ],
    [Object.assign(new Error('throttled'), { code: 'TooManyRequests' }), 'limit-exceeded'],
  ])('%s → %s', (error, code) => {
    expect(classifyAzureError(error).code).toBe(code);
  });
});

describe('Azure in the connectors config', () => {
  it('builds an Azure provider from a validated config, and names the field a bad config gets wrong', async () => {
    const config = {
      subscriptionId: SUBSCRIPTION,
      resourceGroup: GROUP,
      location: LOCATION,
      zones: ['1'],
      vmSizes: ['Standard_NC24ads_A100_v4'],
      image: { publisher: 'microsoft-dsvm', offer: 'ubuntu-hpc', sku: '2204' },
      adminUsername: 'azureuser',
      sshPublicKey: 'ssh-ed25519 AAAA',
      subnetId: `/subscriptions/${SUBSCRIPTION}/resourceGroups/${GROUP}/providers/Microsoft.Network/virtualNetworks/gpu/subnets/nodes`,
    };
    const [provider] = createConnectors(zConnectorsConfig.parse({ azure: config }));
    expect(provider?.name).toBe('azure-gpu-fleet-eastus');
    const bad = zConnectorsConfig.safeParse({ azure: { ...config, subnetId: 'nodes' } });
    expect(bad.error?.issues[0]?.path).toEqual(['azure', 'subnetId']);
  });
});
