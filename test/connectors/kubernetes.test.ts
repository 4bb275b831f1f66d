// The Kubernetes connector against a local API server built from recorded GPU node labels and status.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kubeFleetView, DEFAULT_KUBE_LABEL_KEYS } from '../../lib/connectors/kubernetes/map.ts';
import { createKubernetesProvider } from '../../lib/connectors/kubernetes/provider.ts';
import { gpuNode, gpuPod } from '../gpu/kube-nodes.ts';
import { describeCapacityProviderContract } from '../contracts/capacity-provider-contract.ts';
import { startFakeKubeApiServer } from './fake-kube-apiserver.ts';

const DIR = join(import.meta.dirname, '../fixtures/kubernetes');
const json = (name: string) => JSON.parse(readFileSync(join(DIR, name), 'utf8')) as Record<string, string>;

const zone = (z: string) => ({
  'topology.kubernetes.io/region': 'us-east-1',
  'topology.kubernetes.io/zone': z,
});
const ready = [{ type: 'Ready', status: 'True' }];

/** Nodes: the recorded label maps and capacities, with the names, zones and tags of this test. */
function recordedCluster() {
  const nodes = [
    {
      metadata: {
        name: 'h100-a',
        creationTimestamp: '2026-01-05T08:00:00Z',
        labels: {
          ...json('nvidia-cloud-native-docs__mig-node-labels.json'),
          ...zone('us-east-1a'),
          'gpu-optimizer.io/managed': 'true',
          'karpenter.sh/capacity-type': 'spot',
        },
      },
      spec: { providerID: 'aws:///us-east-1a/i-0abc' },
      status: {
        capacity: { 'nvidia.com/gpu': '1', cpu: '26' },
        allocatable: { 'nvidia.com/gpu': '1' },
        conditions: ready,
      },
    },
    {
      metadata: {
        name: 'dgx-a100',
        labels: {
          ...json('nvidia-cloud-native-docs__mig-none_node-labels_A100-DGX.json'),
          'gpu-optimizer.io/managed': 'true',
          'gpu-optimizer.io/protected': 'true',
        },
      },
      spec: {},
      status: {
        capacity: { 'nvidia.com/gpu': '1' },
        allocatable: { 'nvidia.com/gpu': '1' },
        conditions: ready,
      },
    },
    {
      metadata: {
        name: 't4-shared',
        // The label values of the recorded time-slicing fragment (not JSON itself): 1 T4 advertised as 8.
        labels: {
          'nvidia.com/gpu.product': 'Tesla-T4-SHARED',
          'nvidia.com/gpu.replicas': '8',
          'nvidia.com/gpu.machine': 'g4dn.xlarge',
          ...zone('us-east-1b'),
        },
      },
      spec: { providerID: 'aws:///us-east-1b/i-0def' },
      status: {
        capacity: json('nvidia-cloud-native-docs__openshift-time-slicing_node-status-capacity.json'),
        allocatable: { 'nvidia.com/gpu': '8' },
        conditions: ready,
      },
    },
    {
      metadata: { name: 'cpu-1', labels: {} },
      spec: {},
      status: { capacity: { cpu: '8' }, conditions: ready },
    },
  ];
  const gpuPod = (
    name: string,
    ns: string,
    node: string | undefined,
    phase: string,
    gpus: number,
    labels: Record<string, string> = {},
  ) => ({
    metadata: { name, namespace: ns, labels },
    spec: {
      ...(node ? { nodeName: node } : {}),
      containers: [{ name: 'main', resources: { limits: { 'nvidia.com/gpu': String(gpus) } } }],
    },
    status: { phase },
  });
  const pods = [
    gpuPod('trainer-0', 'ml', 'h100-a', 'Running', 1, { team: 'llm' }),
    gpuPod('notebook-7', 'research', 't4-shared', 'Running', 1),
    gpuPod('notebook-8', 'research', 't4-shared', 'Running', 1),
    gpuPod('trainer-1', 'ml', undefined, 'Pending', 4, { team: 'llm' }),
    gpuPod('done-1', 'ml', 'h100-a', 'Succeeded', 1),
    {
      metadata: {
        name: 'dcgm-exporter-x',
        namespace: 'gpu-operator',
        ownerReferences: [{ kind: 'DaemonSet', name: 'dcgm-exporter' }],
      },
      spec: { nodeName: 'h100-a', containers: [{ name: 'exporter' }] },
      status: { phase: 'Running' },
    },
  ];
  return startFakeKubeApiServer(nodes, pods);
}

async function cluster() {
  const server = await recordedCluster();
  const provider = createKubernetesProvider({ url: server.url, token: 'sa-token', cluster: 'lab' });
  return { server, provider };
}

describeCapacityProviderContract('kubernetes (local API server, recorded node labels)', async () => {
  const { server, provider } = await cluster();
  return {
    provider,
    releasableNodeId: 'k8s:lab:h100-a',
    protectedNodeId: 'k8s:lab:dgx-a100',
    releaseMethod: 'drain',
    launch: null,
    cleanup: () => server.close(),
  };
});

describe('Kubernetes connector', () => {
  it('lists GPU nodes with model, physical GPUs (time-slicing undone), zone and spot, across list pages', async () => {
    const { server, provider } = await cluster();
    try {
      const nodes = await provider.nodes();
      expect(nodes.map((n) => [n.nodeId, n.gpuModel, n.gpuCount, n.zone, n.purchaseOption, n.state])).toEqual(
        [
          ['k8s:lab:h100-a', 'H100', 1, 'us-east-1a', 'spot', 'running'],
          ['k8s:lab:dgx-a100', 'A100', 1, 'default', 'on-prem', 'running'],
          ['k8s:lab:t4-shared', 'T4', 1, 'us-east-1b', 'on-demand', 'running'],
        ],
      );
      expect(nodes[0]!.runningJobs).toEqual(['ml/trainer-0']);
      expect(server.requests.filter((r) => r.path === '/api/v1/nodes').length).toBe(2);
      const pools = await provider.pools();
      // No instance-type label on that node: GFD's gpu.machine (the server model) names the node type.
      expect(pools.find((p) => p.gpuModel === 'H100')).toMatchObject({
        gpuMemoryGiB: 80,
        instanceType: 'PIO-4124GS-TNR-01-NC24B',
      });
    } finally {
      await server.close();
    }
  });

  it('reads GPU demand per team: running by pool, pending unplaced', async () => {
    const { server, provider } = await cluster();
    try {
      expect(await provider.queue()).toEqual([
        {
          team: 'llm',
          poolId: 'kubernetes:lab/us-east-1:us-east-1a:PIO-4124GS-TNR-01-NC24B',
          gpusRunning: 1,
          gpusPending: 0,
        },
        {
          team: 'research',
          // Two of the 8 time-sliced replicas of one T4: a quarter of the physical GPU, in a pool of its own.
          poolId: 'kubernetes:lab/us-east-1:us-east-1b:g4dn.xlarge+ts8',
          gpusRunning: 0.25,
          gpusPending: 0,
        },
        { team: 'llm', gpusRunning: 0, gpusPending: 4 },
      ]);
    } finally {
      await server.close();
    }
  });

  it('drains by cordon and Eviction, leaving DaemonSet pods, and reports a PodDisruptionBudget block', async () => {
    const { server, provider } = await cluster();
    try {
      server.pdbBlocked.add('ml/trainer-0');
      const blocked = await provider.release({ nodeIds: ['k8s:lab:h100-a'], method: 'drain' });
      expect(blocked.released).toEqual([]);
      expect(blocked.refused[0]!.reason).toMatch(
        /PodDisruptionBudget for ml\/trainer-0; the node stays cordoned/,
      );
      expect((await provider.nodes()).find((n) => n.nodeId === 'k8s:lab:h100-a')!.state).toBe('draining');
      const evictions = server.requests.filter((r) => r.path.endsWith('/eviction')).map((r) => r.path);
      expect(evictions).toEqual(['/api/v1/namespaces/ml/pods/trainer-0/eviction']);
      server.pdbBlocked.clear();
      expect(await provider.release({ nodeIds: ['k8s:lab:h100-a'], method: 'drain' })).toEqual({
        released: ['k8s:lab:h100-a'],
        refused: [],
      });
      expect((await provider.nodes()).find((n) => n.nodeId === 'k8s:lab:h100-a')!.state).toBe('drained');
      expect(server.pods.map((p) => p.metadata.name)).toContain('dcgm-exporter-x');
    } finally {
      await server.close();
    }
  });

  it('marks with a label and annotations by merge patch, and refuses what it cannot do', async () => {
    const { server, provider } = await cluster();
    try {
      await provider.mark('k8s:lab:t4-shared', { markedAt: '2026-01-05T10:00:00Z', reason: 'idle 2 h' });
      expect(
        server.nodes.find((n) => n.metadata.name === 't4-shared')!.metadata.labels![
          'gpu-optimizer.io/marked'
        ],
      ).toBe('true');
      expect(
        (await provider.release({ nodeIds: ['k8s:lab:t4-shared'], method: 'drain' })).refused[0]!.reason,
      ).toMatch(/not managed/);
      expect(
        (await provider.release({ nodeIds: ['k8s:lab:h100-a'], method: 'terminate' })).refused[0]!.reason,
      ).toMatch(/not offered by Kubernetes/);
      expect((await provider.launch({ poolId: 'x', option: 'spot', count: 2 })).failures[0]).toMatchObject({
        code: 'unsupported',
        count: 2,
      });
    } finally {
      await server.close();
    }
  });
});

/**
 * Shared GPUs as gpu-feature-discovery labels them (written for these tests after NVIDIA's GPU operator docs): the
 * MIG "single" strategy advertises slices as nvidia.com/gpu with the slice's product and memory; a vGPU VM shows
 * its profile; time-slicing advertises replicas.
 */
const sharedNode = (name: string, labels: Record<string, string>, advertised: number) =>
  gpuNode(name, labels, advertised);
const pod = gpuPod;

describe('shared GPUs on Kubernetes: the physical GPU counted once, with its fraction', () => {
  const migSingle = sharedNode(
    'mig-h100',
    {
      'nvidia.com/mig.strategy': 'single',
      'nvidia.com/gpu.count': '7',
      'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3-MIG-1g.10gb',
      'nvidia.com/gpu.memory': '9984',
      'nvidia.com/gpu.replicas': '1',
    },
    7,
  );
  const migA100 = sharedNode(
    'mig-a100',
    {
      'nvidia.com/mig.strategy': 'single',
      'nvidia.com/gpu.count': '2',
      'nvidia.com/gpu.product': 'NVIDIA-A100-SXM4-40GB-MIG-3g.20gb',
      'nvidia.com/gpu.memory': '19968',
    },
    2,
  );
  const vgpu4 = sharedNode(
    'vgpu-a',
    {
      'nvidia.com/gpu.product': 'GRID-A100-4C',
      'nvidia.com/gpu.memory': '4096',
      'nvidia.com/gpu.count': '1',
    },
    1,
  );
  const vgpu10 = sharedNode(
    'vgpu-b',
    {
      'nvidia.com/gpu.product': 'GRID-A100-10C',
      'nvidia.com/gpu.memory': '10240',
      'nvidia.com/gpu.count': '1',
    },
    1,
  );
  const view = kubeFleetView(
    [migSingle, migA100, vgpu4, vgpu10],
    [pod('a', 'mig-h100', 1, 'alpha'), pod('b', 'mig-h100', 2, 'beta')],
    'lab',
    DEFAULT_KUBE_LABEL_KEYS,
    Date.parse('2026-03-02T10:00:00Z'),
  );
  const node = (name: string) => view.nodes.find((n) => n.nodeId === `k8s:lab:${name}`)!;
  const poolOf = (name: string) => view.pools.find((p) => p.id === node(name).poolId)!;

  it('MIG single strategy: 7 slices of an H100 are one H100 80 GB, each slice 1/7 of its compute', () => {
    expect(node('mig-h100')).toMatchObject({ gpuModel: 'H100', gpuCount: 1 });
    expect(poolOf('mig-h100')).toMatchObject({
      gpuModel: 'H100',
      gpuMemoryGiB: 80,
      gpusPerInstance: 1,
      gpuPartition: { kind: 'mig', profile: '1g.10gb', devicesPerGpu: 7, compute: { num: 1, den: 7 } },
    });
    // Two 3g.20gb slices are one A100 40 GB, not two A100s.
    expect(node('mig-a100')).toMatchObject({ gpuModel: 'A100', gpuCount: 1 });
    expect(poolOf('mig-a100')).toMatchObject({ gpuMemoryGiB: 40, gpuPartition: { devicesPerGpu: 2 } });
  });

  it('vGPU profiles: an A100 40 GB each, and different profiles are different pools', () => {
    expect(poolOf('vgpu-a')).toMatchObject({
      gpuModel: 'A100',
      gpuMemoryGiB: 40,
      gpuPartition: { kind: 'vgpu', profile: 'A100-4C', memory: { num: 1, den: 10 } },
    });
    expect(poolOf('vgpu-b')).toMatchObject({
      gpuModel: 'A100',
      gpuPartition: { profile: 'A100-10C', memory: { num: 1, den: 4 } },
    });
    expect(node('vgpu-a').poolId).not.toBe(node('vgpu-b').poolId);
  });

  it('demand on slices is their share of the physical GPU', () => {
    const pool = node('mig-h100').poolId;
    expect(view.demand.filter((d) => d.poolId === pool)).toEqual([
      { team: 'alpha', poolId: pool, gpusRunning: 1 / 7, gpusPending: 0 },
      { team: 'beta', poolId: pool, gpusRunning: 2 / 7, gpusPending: 0 },
    ]);
  });
});
