// The connector registry: every configured fleet, and which one owns a pool or a node.
import { describe, expect, it } from 'vitest';
import {
  connectorRegistryFromConfig,
  createConnectorRegistry,
  toConnectorRegistry,
} from '../../lib/connectors/registry.ts';
import { createMemoryCapacityProvider } from '../../lib/memory/capacity-provider.ts';
import { pool } from '../optimizer/builders.ts';

const awsPool = pool('aws:us-east-1:us-east-1a:p4d.24xlarge');
const slurmPool = pool('slurm:gpu-lab:gpu:h100x4', {
  provider: 'slurm',
  gpuModel: 'H100',
  gpusPerInstance: 4,
});
const lab2Pool = pool('slurm:lab-2:gpu:a100x8', { provider: 'slurm' });

describe('connector registry', () => {
  it('finds the owner of a pool by listing, and of a node by its pool, else by the one fleet of its kind', async () => {
    const ec2 = createMemoryCapacityProvider({ name: 'ec2', pools: [awsPool] });
    const slurm = createMemoryCapacityProvider({ name: 'slurm', pools: [slurmPool] });
    const lab2 = createMemoryCapacityProvider({ name: 'lab-2', pools: [lab2Pool] });
    const index = createConnectorRegistry([ec2, slurm, lab2]).index();
    expect((await index.forPool(slurmPool.id))?.name).toBe('slurm');
    expect((await index.forNode({ poolId: lab2Pool.id, provider: 'slurm' }))?.name).toBe('lab-2');
    // Two Slurm fleets: a node of an unknown pool cannot be placed by its kind alone.
    expect(await index.forNode({ poolId: 'slurm:gone:gpu:x', provider: 'slurm' })).toBeUndefined();
    expect((await index.forNode({ poolId: 'aws:elsewhere', provider: 'aws' }))?.name).toBe('ec2');
    expect(await index.forPool('gcp:none')).toBeUndefined();
  });

  it("does not ask a fleet for its pools when the node's kind names one fleet (a recommend run loads no SDK)", async () => {
    let asked = 0;
    const ec2 = createMemoryCapacityProvider({ name: 'ec2', pools: [awsPool] });
    const counting = { ...ec2, pools: async () => (asked++, ec2.pools()) };
    const index = toConnectorRegistry({ aws: counting }).index();
    expect((await index.forNode({ poolId: awsPool.id, provider: 'aws' }))?.name).toBe('ec2');
    expect(asked).toBe(0);
  });

  it('skips a fleet that fails to list its pools', async () => {
    const broken = {
      ...createMemoryCapacityProvider({ name: 'broken', pools: [] }),
      pools: () => Promise.reject(new Error('503')),
    };
    const slurm = createMemoryCapacityProvider({ name: 'slurm', pools: [slurmPool] });
    const index = createConnectorRegistry([broken, slurm]).index();
    expect((await index.forPool(slurmPool.id))?.name).toBe('slurm');
  });

  it('builds every fleet the connectors config names, each known by its kind, EC2 first when given', () => {
    const ec2 = createMemoryCapacityProvider({ name: 'aws-ec2-us-east-1', pools: [awsPool] });
    const registry = connectorRegistryFromConfig(
      {
        slurm: { url: 'http://127.0.0.1:6820', user: 'slurm', token: 'jwt' },
        kubernetes: { url: 'http://127.0.0.1:6443', cluster: 'k8s-lab' },
        prometheus: { url: 'http://127.0.0.1:9090', sampleIntervalSeconds: 60, nodesOf: 'slurm' },
      },
      { ec2 },
    );
    expect(registry.entries.map((e) => [e.kind, e.provider.name])).toEqual([
      ['aws', 'aws-ec2-us-east-1'],
      ['slurm', 'slurm'],
      ['kubernetes', 'kubernetes-k8s-lab'],
    ]);
  });
});
