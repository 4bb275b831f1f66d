// The Slurm connector on recorded slurmrestd answers of Slurm 22.05 to 25.11, and on a fake 25.11 server for REST node updates.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createSlurmRestClient,
  detectSlurmApi,
  parseSlurmJobs,
  parseSlurmNodes,
  SlurmResponseError,
} from '../../lib/connectors/slurm/client.ts';
import { expandHostlist, gpusInTres, parseGpuGres } from '../../lib/connectors/slurm/gres.ts';
import {
  commentWithMark,
  commentWithoutMark,
  markInComment,
  slurmFleetView,
} from '../../lib/connectors/slurm/map.ts';
import { createSlurmProvider } from '../../lib/connectors/slurm/provider.ts';
import { zFleetNode } from '../../lib/domain/fleet.ts';
import { describeCapacityProviderContract } from '../contracts/capacity-provider-contract.ts';
import { startFakeSlurmrestd } from './fake-slurmrestd.ts';

const DIR = join(import.meta.dirname, '../fixtures/slurm');
const fixture = (name: string): unknown => JSON.parse(readFileSync(join(DIR, name), 'utf8'));
const options = {
  cluster: 'hpc',
  managedFeature: 'gpu-optimizer-managed',
  protectedFeature: 'gpu-optimizer-protected',
  teamFrom: 'account' as const,
};

describe('Slurm text fields', () => {
  it.each([
    ['gpu:h100:4', [{ type: 'h100', count: 4 }]],
    [
      'gpu:h100:1(IDX:0),gpu:h200:0(IDX:N/A)',
      [
        { type: 'h100', count: 1 },
        { type: 'h200', count: 0 },
      ],
    ],
    ['gpu:a100:4(S:0-3),pfsdir:scratch:1,gpfs:ess:1', [{ type: 'a100', count: 4 }]],
    ['gpu:h100:2(IDX:0,2)', [{ type: 'h100', count: 2 }]],
    ['gpu:4', [{ type: undefined, count: 4 }]],
    ['', []],
    ['(null)', []],
  ])('reads GPU GRES %j', (text, expected) => expect(parseGpuGres(text)).toEqual(expected));

  it.each([
    ['gres/gpu:8', 8],
    ['gres:gpu:h100:2', 2],
    ['cpu=2,mem=1G,gres/gpu=4,gres/gpu:h100=4', 4],
    ['cpu=1,mem=512M,node=1,billing=1', 0],
  ])('counts GPUs in TRES %j', (text, gpus) => expect(gpusInTres(text)).toBe(gpus));

  it('expands host lists with ranges and zero padding', () => {
    expect(expandHostlist('gpu[1-2,05-06],cn3')).toEqual(['gpu1', 'gpu2', 'gpu05', 'gpu06', 'cn3']);
  });

  it('keeps an admin comment around a mark', () => {
    const mark = { markedAt: '2026-01-05T10:00:00Z', reason: 'idle "2 h", rack 7' };
    const comment = commentWithMark('rack 7', mark);
    expect(markInComment(comment)).toEqual(mark);
    expect(commentWithoutMark(comment)).toBe('rack 7');
    expect(markInComment('rack 7')).toBeUndefined();
  });
});

describe('recorded slurmrestd answers', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.json') && !f.includes('openapi'));

  it.each(files)('%s is parsed or clearly rejected', (file) => {
    const json = fixture(file) as Record<string, unknown>;
    if ('nodes' in json) {
      const { nodes } = parseSlurmNodes(json);
      const view = slurmFleetView(nodes, [], options, 0);
      for (const n of view.nodes) expect(zFleetNode.safeParse(n).success).toBe(true);
    } else if (file.includes('slurmdb')) {
      expect(() => parseSlurmJobs(json)).toThrow(/slurmdbd \(accounting\) response/);
    } else if ('jobs' in json) {
      expect(parseSlurmJobs(json).jobs.length).toBeGreaterThan(0);
    } else {
      expect(file).toMatch(/ping/);
    }
  });

  it('22.05: states, drain, power saving and the queue of the recipe cluster', () => {
    const { nodes } = parseSlurmNodes(fixture('slurm_v0.0.38_nodes.json'));
    const { jobs } = parseSlurmJobs(fixture('slurm_v0.0.38_jobs.json'));
    const view = slurmFleetView(nodes, jobs, { ...options, cluster: 'gpu-lab' }, 0);
    const state = Object.fromEntries(view.nodes.map((n) => [n.nodeId.split(':')[2], n.state]));
    expect(state).toEqual({
      cloud1: 'powered-down',
      cloud2: 'powered-down',
      gpu1: 'running',
      gpu2: 'running',
      gpu3: 'drained',
      gpu4: 'running',
      gpu5: 'stopped',
      gpu6: 'stopped',
    });
    expect(view.nodes.find((n) => n.nodeId.endsWith(':gpu1'))!.runningJobs).toEqual(['5', '6']);
    // No accounts in that cluster: demand falls back to the user; pending job 8 asks 4 GPUs on each of 2 nodes.
    expect(view.demand).toEqual([
      { team: 'root', poolId: 'slurm:gpu-lab:gpu:h100x4', gpusRunning: 10, gpusPending: 8 },
    ]);
  });

  it('23.11: a node with two GPU types is one pool of its own; CPU-only nodes are left out', () => {
    const { nodes } = parseSlurmNodes(fixture('slurm-web__23.11_slurm-nodes.json'));
    const view = slurmFleetView(nodes, [], options, 0);
    expect(view.nodes.map((n) => n.nodeId)).toEqual(['slurm:hpc:ia1', 'slurm:hpc:ia2']);
    expect(view.pools).toEqual([
      expect.objectContaining({
        instanceType: 'h100x2+h200x4',
        gpuModel: 'H100+H200',
        gpusPerInstance: 6,
        maxInstances: 2,
        gpuMemoryGiB: 80,
      }),
    ]);
  });

  it('25.11: typed and untyped GPUs, and the 24.05/25.05 running jobs counted from gres_detail', () => {
    const { nodes } = parseSlurmNodes(fixture('slurm-web__25.11_0.0.44_slurm-nodes.json'));
    const multi = parseSlurmJobs(fixture('slurm-web__24.05_0.0.41_slurm-job-gpus-multi-nodes.json')).jobs;
    const pending = parseSlurmJobs(fixture('slurm-web__23.11_slurm-job-gpus-pending.json')).jobs;
    const view = slurmFleetView(nodes, [...multi, ...pending], options, 0);
    expect(view.nodes.map((n) => `${n.nodeId} ${n.gpuModel} ${n.gpuCount}`)).toEqual([
      'slurm:hpc:gpu1 H100 4',
      'slurm:hpc:gpu2 H100 4',
      'slurm:hpc:gpu3 unknown 4',
      'slurm:hpc:gpu4 unknown 4',
    ]);
    expect(view.nodes.filter((n) => n.runningJobs.includes('11')).map((n) => n.nodeId)).toEqual([
      'slurm:hpc:gpu1',
      'slurm:hpc:gpu2',
    ]);
    expect(view.demand).toEqual([
      { team: 'biology', poolId: 'slurm:hpc:gpu:h100x4', gpusRunning: 8, gpusPending: 0 },
      // Partition "ia" has no nodes in this answer, so the pending demand has no pool.
      { team: 'optic', gpusRunning: 0, gpusPending: 6 },
    ]);
    const running = parseSlurmJobs(fixture('slurm-web__25.05_0.0.43_slurm-job-gpus-running.json')).jobs;
    expect(slurmFleetView(nodes, running, options, 0).demand).toEqual([
      { team: 'biology', poolId: 'slurm:hpc:gpu:h100x4', gpusRunning: 4, gpusPending: 0 },
    ]);
  });

  it('rejects an answer with Slurm errors or a wrong shape, naming the field', () => {
    expect(() =>
      parseSlurmNodes({ errors: [{ error: 'Unable to query nodes', error_number: 1 }], nodes: [] }),
    ).toThrow(/Unable to query nodes/);
    expect(() => parseSlurmNodes({ nodes: [{ name: 'x', state: 5 }] })).toThrow(/nodes\[0\]\.state/);
  });

  it('finds the API version and whether REST can update nodes from the OpenAPI document', () => {
    expect(detectSlurmApi(fixture('slurm_v0.0.38_openapi_v3.json'))).toEqual({
      version: 'v0.0.38',
      restNodeUpdate: false,
    });
    expect(() => detectSlurmApi({ paths: {} })).toThrow(SlurmResponseError);
  });
});

describe('Slurm 23.02+ (REST node updates), on a fake slurmrestd serving recorded 25.11 answers', () => {
  async function fakeCluster() {
    const nodes = structuredClone(fixture('slurm-web__25.11_0.0.44_slurm-nodes.json')) as {
      nodes: Record<string, unknown>[];
    };
    for (const n of nodes.nodes) {
      if (n.name === 'gpu1' || n.name === 'gpu2') n.features = ['gpu-optimizer-managed'];
      if (n.name === 'gpu3') n.features = ['gpu-optimizer-managed', 'gpu-optimizer-protected'];
    }
    const server = await startFakeSlurmrestd(
      'v0.0.44',
      nodes,
      fixture('slurm-web__25.05_0.0.43_slurm-job-gpus-running.json'),
    );
    const client = createSlurmRestClient({ url: server.url, user: 'root', token: 'jwt' });
    return { server, client, provider: createSlurmProvider({ client, cluster: 'hpc' }) };
  }

  it('drains and marks with POST node/{name}, no scontrol needed', async () => {
    const { server, client, provider } = await fakeCluster();
    try {
      expect(await client.api()).toEqual({ version: 'v0.0.44', restNodeUpdate: true });
      await provider.release({ nodeIds: ['slurm:hpc:gpu2'], method: 'drain' });
      await provider.mark('slurm:hpc:gpu2', { markedAt: '2026-01-05T10:00:00Z', reason: 'idle' });
      expect(server.updates).toEqual([
        { node: 'gpu2', body: { state: ['DRAIN'], reason: 'gpu-optimizer: release' } },
        {
          node: 'gpu2',
          body: { comment: 'gpu-optimizer-mark:{"markedAt":"2026-01-05T10:00:00Z","reason":"idle"}' },
        },
      ]);
    } finally {
      await server.close();
    }
  });

  it('22.05 without scontrol refuses node changes and says why', async () => {
    const nodes = fixture('slurm_v0.0.38_nodes.json') as { nodes: Record<string, unknown>[] };
    for (const n of nodes.nodes) n.features = 'gpu-optimizer-managed';
    const server = await startFakeSlurmrestd('v0.0.38', nodes, fixture('slurm_v0.0.38_jobs.json'));
    try {
      const client = createSlurmRestClient({
        url: server.url,
        user: 'root',
        token: 'jwt',
        apiVersion: 'v0.0.38',
      });
      const provider = createSlurmProvider({ client, cluster: 'gpu-lab' });
      const out = await provider.release({ nodeIds: ['slurm:gpu-lab:gpu2'], method: 'drain' });
      expect(out.refused[0]!.reason).toMatch(/cannot update nodes.*no scontrol/);
    } finally {
      await server.close();
    }
  });

  describeCapacityProviderContract('slurm (fake slurmrestd 25.11, REST node updates)', async () => {
    const { server, provider } = await fakeCluster();
    return {
      provider,
      releasableNodeId: 'slurm:hpc:gpu2',
      protectedNodeId: 'slurm:hpc:gpu3',
      releaseMethod: 'drain',
      launch: null,
      cleanup: () => server.close(),
    };
  });
});
