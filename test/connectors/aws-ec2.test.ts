// The EC2 connector on the real SDK with aws-sdk-client-mock: listing, CreateFleet, release, tags and the error classifier.
import {
  CreateFleetCommand,
  DescribeInstancesCommand,
  StopInstancesCommand,
  type CreateFleetCommandInput,
} from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { launchFailureCode } from '../../lib/connectors/aws-ec2/errors.ts';
import { createEc2Provider } from '../../lib/connectors/aws-ec2/provider.ts';
import { poolId, type Pool } from '../../lib/domain/pool.ts';
import { describeCapacityProviderContract } from '../contracts/capacity-provider-contract.ts';
import { capacityKey, createFakeEc2, ec2Error, type FakeEc2 } from './fake-ec2.ts';

const REGION = 'us-east-1';
function awsPool(
  zone: string,
  instanceType: string,
  gpuModel: string,
  gpus: number,
  memoryGiB: number,
): Pool {
  return {
    id: poolId('aws', REGION, zone, instanceType),
    provider: 'aws',
    region: REGION,
    zone,
    instanceType,
    gpuModel,
    gpusPerInstance: gpus,
    gpuMemoryGiB: memoryGiB,
    interconnect: 'nvswitch',
    bootSeconds: 300,
  };
}
const P5_A = awsPool('us-east-1a', 'p5.48xlarge', 'H100', 8, 80);
const P5_B = awsPool('us-east-1b', 'p5.48xlarge', 'H100', 8, 80);
const P4D_A = awsPool('us-east-1a', 'p4d.24xlarge', 'A100', 8, 40);
const managed = [{ Key: 'gpu-optimizer:managed', Value: 'true' }];

function fleet(setup?: (fake: FakeEc2) => void) {
  const fake = createFakeEc2(REGION);
  fake.add({
    InstanceId: 'i-0managed000000001',
    InstanceType: 'p4d.24xlarge',
    Tags: [...managed, { Key: 'team', Value: 'llm' }],
  });
  fake.add({
    InstanceId: 'i-0protect000000001',
    InstanceType: 'p4d.24xlarge',
    Tags: [...managed, { Key: 'gpu-optimizer:protected', Value: 'true' }],
  });
  fake.add({
    InstanceId: 'i-0notours000000001',
    InstanceType: 'p4d.24xlarge',
    Tags: [{ Key: 'team', Value: 'llm' }],
  });
  fake.subnetZones.set('subnet-0b', 'us-east-1b');
  setup?.(fake);
  const provider = createEc2Provider({
    ec2: fake.client,
    region: REGION,
    pools: [P5_A, P5_B, P4D_A],
    launchTemplate: { launchTemplateName: 'gpu-node', version: '3' },
    subnets: { 'us-east-1b': 'subnet-0b' },
    substitutes: { [P5_A.id]: [P5_B.id] },
  });
  return { fake, provider };
}

describeCapacityProviderContract('aws-ec2 (aws-sdk-client-mock)', async () => {
  const { fake, provider } = fleet((f) =>
    f.capacity.set(capacityKey('us-east-1a', 'p4d.24xlarge', 'spot'), 3),
  );
  return {
    provider,
    releasableNodeId: 'i-0managed000000001',
    protectedNodeId: 'i-0protect000000001',
    releaseMethod: 'terminate',
    launch: { poolId: P4D_A.id, option: 'spot', available: 3 },
    cleanup: async () => fake.mock.restore(),
  };
});

describe('EC2 connector', () => {
  it('lists only managed instances, across DescribeInstances pages, with GPUs from DescribeInstanceTypes', async () => {
    const { fake, provider } = fleet((f) => {
      for (let k = 0; k < 3; k++)
        f.add({
          InstanceId: `i-0g5node00000000${k}`,
          InstanceType: 'g5.xlarge',
          InstanceLifecycle: 'spot',
          Tags: managed,
        });
    });
    const nodes = await provider.nodes();
    expect(nodes.map((n) => n.nodeId)).not.toContain('i-0notours000000001');
    expect(nodes).toHaveLength(5);
    expect(fake.mock.commandCalls(DescribeInstancesCommand)).toHaveLength(3);
    expect(fake.mock.commandCalls(DescribeInstancesCommand)[0]!.args[0].input.Filters).toContainEqual({
      Name: 'tag:gpu-optimizer:managed',
      Values: ['true'],
    });
    const g5 = nodes.find((n) => n.instanceType === 'g5.xlarge')!;
    expect(g5).toMatchObject({
      gpuModel: 'A10G',
      gpuCount: 1,
      purchaseOption: 'spot',
      poolId: 'aws:us-east-1:us-east-1a:g5.xlarge',
    });
    expect(nodes.find((n) => n.nodeId === 'i-0managed000000001')).toMatchObject({
      labels: { team: 'llm' },
      gpuModel: 'A100',
      managed: true,
    });
  });

  it('launches with one instant CreateFleet: spot, price-capacity-optimized, across the pool and its substitutes', async () => {
    const { fake, provider } = fleet();
    const out = await provider.launch({
      poolId: P5_A.id,
      option: 'spot',
      count: 2,
      labels: { team: 'vision' },
    });
    expect(out.failures).toEqual([]);
    expect(out.launched.map((n) => [n.poolId, n.purchaseOption, n.state, n.labels.team])).toEqual([
      [P5_A.id, 'spot', 'pending', 'vision'],
      [P5_A.id, 'spot', 'pending', 'vision'],
    ]);
    const input = fake.mock.commandCalls(CreateFleetCommand)[0]!.args[0].input as CreateFleetCommandInput;
    expect(input).toMatchObject({
      Type: 'instant',
      TargetCapacitySpecification: {
        TotalTargetCapacity: 2,
        DefaultTargetCapacityType: 'spot',
        SpotTargetCapacity: 2,
      },
      SpotOptions: { AllocationStrategy: 'price-capacity-optimized' },
    });
    expect(input.LaunchTemplateConfigs![0]).toEqual({
      LaunchTemplateSpecification: { LaunchTemplateName: 'gpu-node', Version: '3' },
      Overrides: [
        { InstanceType: 'p5.48xlarge', AvailabilityZone: 'us-east-1a' },
        { InstanceType: 'p5.48xlarge', SubnetId: 'subnet-0b' },
      ],
    });
  });

  it('takes what one zone has, the rest from a substitute, and reports the shortfall as insufficient capacity', async () => {
    const { fake, provider } = fleet((f) =>
      f.capacity.set(capacityKey('us-east-1a', 'p5.48xlarge', 'spot'), 1),
    );
    const spread = await provider.launch({ poolId: P5_A.id, option: 'spot', count: 3 });
    expect(spread.launched.map((n) => n.zone)).toEqual(['us-east-1a', 'us-east-1b', 'us-east-1b']);
    expect(spread.failures).toEqual([]);
    expect(fake.mock.commandCalls(CreateFleetCommand)).toHaveLength(1);
    const odOnly = createFakeEc2(REGION);
    odOnly.capacity.set(capacityKey('us-east-1a', 'p5.48xlarge', 'on-demand'), 1);
    const single = createEc2Provider({
      ec2: odOnly.client,
      region: REGION,
      pools: [P5_A],
      launchTemplate: { launchTemplateId: 'lt-0abc' },
    });
    const out = await single.launch({ poolId: P5_A.id, option: 'on-demand', count: 3 });
    expect(out.launched).toHaveLength(1);
    expect(out.failures).toEqual([
      expect.objectContaining({
        poolId: P5_A.id,
        option: 'on-demand',
        count: 2,
        code: 'insufficient-capacity',
        message: expect.stringMatching(
          /^InsufficientInstanceCapacity: We currently do not have sufficient p5\.48xlarge capacity/,
        ),
      }),
    ]);
    expect(await provider.launch({ poolId: P5_A.id, option: 'reserved', count: 1 })).toMatchObject({
      failures: [{ code: 'unsupported' }],
    });
  });

  it('never fails the run on an API error: throttling and missing permissions become failure entries', async () => {
    const throttled = fleet();
    throttled.fake.mock
      .on(CreateFleetCommand)
      .rejects(ec2Error('RequestLimitExceeded', 'Request limit exceeded.'));
    expect(
      (await throttled.provider.launch({ poolId: P4D_A.id, option: 'spot', count: 1 })).failures[0],
    ).toMatchObject({ code: 'limit-exceeded', count: 1 });
    const denied = fleet();
    denied.fake.mock
      .on(CreateFleetCommand)
      .rejects(ec2Error('UnauthorizedOperation', 'You are not authorized to perform this operation.'));
    expect(
      (await denied.provider.launch({ poolId: P4D_A.id, option: 'spot', count: 1 })).failures[0],
    ).toMatchObject({ code: 'error', message: expect.stringMatching(/^UnauthorizedOperation/) });
  });

  it('stops, hibernates, and refuses instances with EC2 stop or termination protection', async () => {
    const { fake, provider } = fleet((f) => {
      f.add({ InstanceId: 'i-0apiprot00000001', Tags: managed });
      f.apiProtected.add('i-0apiprot00000001');
    });
    expect(await provider.release({ nodeIds: ['i-0managed000000001'], method: 'hibernate' })).toEqual({
      released: ['i-0managed000000001'],
      refused: [],
    });
    expect(fake.mock.commandCalls(StopInstancesCommand)[0]!.args[0].input).toEqual({
      InstanceIds: ['i-0managed000000001'],
      Hibernate: true,
    });
    const out = await provider.release({
      nodeIds: ['i-0apiprot00000001', 'i-0notours000000001'],
      method: 'terminate',
    });
    expect(out.released).toEqual([]);
    expect(out.refused).toEqual([
      {
        nodeId: 'i-0apiprot00000001',
        reason: 'protected: EC2 terminate protection is on (OperationNotPermitted)',
      },
      { nodeId: 'i-0notours000000001', reason: 'unknown node: no managed instance with this id' },
    ]);
    expect(
      (await provider.release({ nodeIds: ['i-0managed000000001'], method: 'drain' })).refused[0]!.reason,
    ).toMatch(/not offered by EC2/);
  });

  it.each([
    ['InsufficientInstanceCapacity', 'insufficient-capacity'],
    ['InsufficientHostCapacity', 'insufficient-capacity'],
    ['SpotMaxPriceTooLow', 'insufficient-capacity'],
    ['Unsupported', 'unsupported'],
    ['MaxSpotInstanceCountExceeded', 'limit-exceeded'],
    ['VcpuLimitExceeded', 'limit-exceeded'],
    ['InvalidParameterValue', 'error'],
  ])('classifies %s as %s', (code, expected) => {
    expect(launchFailureCode(ec2Error(code, 'x'))).toBe(expected);
    expect(launchFailureCode({ ErrorCode: code })).toBe(expected);
  });
});
