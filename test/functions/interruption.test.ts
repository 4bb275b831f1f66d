import { readFileSync } from 'node:fs';
import { CreateFleetCommand, DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { EventBridgeEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { node, pool, quote, START_MS, workload } from '../optimizer/builders.ts';
import { doorTable, lambdaContext, mockBus } from './support.ts';

const notice = JSON.parse(
  readFileSync(new URL('../fixtures/ec2-events/karpenter-design_spot-itn.json', import.meta.url), 'utf8'),
) as EventBridgeEvent<string, unknown>;
const INSTANCE = 'i-0123456789';

const zone = (z: string) =>
  pool(`aws:us-east-1:us-east-1${z}:p4d.24xlarge`, { zone: `us-east-1${z}`, instanceType: 'p4d.24xlarge' });
const [zoneA, zoneB, zoneC] = [zone('a'), zone('b'), zone('c')];

const ec2 = mockClient(EC2Client);
const bus = mockClient(EventBridgeClient);
const putEvents = mockBus(bus);

async function door(mode: 'recommend' | 'enforce') {
  const { store } = await doorTable({ pools: [zoneA, zoneB, zoneC], mode });
  await store.classes.put(workload('batch', { spotShare: 1 }));
  await store.nodes.put(node(INSTANCE, zoneA, 'spot'));
  await store.prices.put([
    quote(zoneA.id, 'spot', '9.00'),
    quote(zoneA.id, 'on-demand', '32.77'),
    quote(zoneB.id, 'spot', '10.00'),
    quote(zoneC.id, 'spot', '11.00'),
  ]);
  ec2.on(DescribeInstancesCommand).resolves({
    Reservations: [
      {
        Instances: [
          {
            InstanceId: INSTANCE,
            InstanceType: 'p4d.24xlarge',
            InstanceLifecycle: 'spot',
            State: { Name: 'running', Code: 16 },
            Placement: { AvailabilityZone: 'us-east-1a' },
            Tags: [{ Key: 'gpu-optimizer:managed', Value: 'true' }],
          },
        ],
      },
    ],
  });
  vi.resetModules();
  const { handler } = await import('../../functions/interruption.ts');
  return {
    store,
    invoke: (event = notice, requestId = 'req-1') =>
      handler(event, lambdaContext('GpuOptimizer-Interruption', requestId)),
  };
}

describe('functions/interruption', () => {
  beforeAll(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(START_MS);
  });
  afterAll(() => vi.useRealTimers());
  beforeEach(() => {
    ec2.reset();
    bus.resetHistory();
  });

  it('recommend: records the notice and announces the cheapest other spot pool, launching nothing', async () => {
    const { store, invoke } = await door('recommend');
    const result = await invoke();
    expect(result).toMatchObject({
      handled: true,
      replacements: [{ poolId: zoneB.id, option: 'spot', count: 1 }],
    });
    expect((await store.nodes.get(INSTANCE))!.interruptionNoticeAt).toBe('2022-08-11T14:00:00Z');
    expect(putEvents()).toEqual([
      expect.objectContaining({
        source: 'gpu-optimizer.decisions',
        detailType: 'Spot Interruption Handled',
        detail: expect.objectContaining({ nodeId: INSTANCE, poolId: zoneA.id, kind: 'interruption' }),
      }),
    ]);
    expect(ec2.commandCalls(CreateFleetCommand)).toEqual([]);
  });

  it('enforce: launches the replacement through CreateFleet in the chosen pool, once however often the notice comes', async () => {
    const { invoke } = await door('enforce');
    ec2.on(CreateFleetCommand).resolves({
      Instances: [
        {
          InstanceIds: ['i-0fedcba9876543210'],
          InstanceType: 'p4d.24xlarge',
          Lifecycle: 'spot',
          LaunchTemplateAndOverrides: {
            Overrides: { InstanceType: 'p4d.24xlarge', AvailabilityZone: 'us-east-1b' },
          },
        },
      ],
    });
    const result = await invoke();
    expect(result).toMatchObject({
      handled: true,
      replacements: [{ poolId: zoneB.id, option: 'spot', count: 1 }],
    });
    const launches = ec2.commandCalls(CreateFleetCommand).map((c) => c.args[0].input);
    expect(launches).toHaveLength(1);
    expect(launches[0]!.TargetCapacitySpecification).toMatchObject({
      TotalTargetCapacity: 1,
      DefaultTargetCapacityType: 'spot',
    });
    expect(launches[0]!.LaunchTemplateConfigs![0]!.Overrides).toEqual([
      // The zone's subnet from the config (config/example.json), not the default VPC.
      expect.objectContaining({ InstanceType: 'p4d.24xlarge', SubnetId: 'subnet-0fedcba9876543210' }),
    ]);
    expect(putEvents()[0]!.detail).toMatchObject({ replacements: [{ poolId: zoneB.id, count: 1 }] });
    // What the Lambda runtime sends back is JSON: the actions' money as decimal strings.
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);

    // EventBridge delivers at least once, and the same notice may come again: it is answered, not acted on.
    const again = await invoke(structuredClone(notice), 'req-2');
    expect(again).toEqual(result);
    expect(ec2.commandCalls(CreateFleetCommand)).toHaveLength(1);
    expect(putEvents().filter((e) => e.detailType === 'Spot Interruption Handled')).toHaveLength(1);
    // A notice for another instance is its own event.
    const other = {
      ...notice,
      detail: { ...(notice.detail as object), 'instance-id': 'i-0otherinstance01' },
    };
    expect(await invoke(other, 'req-3')).toMatchObject({ handled: false });
  });
});
