import { CreateFleetCommand, DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { node, pool, quote, START_MS, steadyForecast, workload } from '../optimizer/builders.ts';
import { doorTable, mockBus, schedulerEvent } from './support.ts';

const p4d = pool('aws:us-east-1:us-east-1a:p4d.24xlarge', { instanceType: 'p4d.24xlarge' });
const ec2 = mockClient(EC2Client);
const bus = mockClient(EventBridgeClient);
const putEvents = mockBus(bus);

describe('functions/optimize', () => {
  beforeAll(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(START_MS + 5 * 60_000);
  });
  afterAll(() => vi.useRealTimers());

  it('recommend: plans from the stored forecast and prices, stores the plan and announces it, launching nothing', async () => {
    const { store } = await doorTable({ pools: [p4d], mode: 'recommend', optimize: { horizonHours: 24 } });
    await store.classes.put(workload('batch', { spotShare: 1 }));
    await store.prices.put([quote(p4d.id, 'on-demand', '32.77'), quote(p4d.id, 'spot', '9.83')]);
    await store.nodes.put(node('i-0a1b2c3d4e5f60001', p4d, 'on-demand'));
    await store.forecasts.put(steadyForecast('batch', { point: 12, p90: 16, p99: 24 }));
    ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [
        {
          Instances: [
            {
              InstanceId: 'i-0a1b2c3d4e5f60001',
              InstanceType: 'p4d.24xlarge',
              State: { Name: 'running', Code: 16 },
              Placement: { AvailabilityZone: 'us-east-1a' },
              Tags: [{ Key: 'gpu-optimizer:managed', Value: 'true' }],
            },
          ],
        },
      ],
    });

    const { handler } = await import('../../functions/optimize.ts');
    const result = await handler(schedulerEvent(Date.now(), 'optimize'), {} as Context);

    expect(result.error).toBeUndefined();
    // The runtime sends the result as JSON: the plan's cost as a decimal string, not a bigint it cannot encode.
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
    expect(result.totalCostUsd).toMatch(/^\d+\.\d{6}$/);
    const plan = (await store.plans.get(result.planId!))!;
    const actions = plan.actions.map((a) => [a.kind, a.option, a.status]);
    expect(actions[0]).toEqual(['launch', 'spot', 'recommended']);
    // Whether the on-demand node is released in this plan or once the launch serves is the actuator's rule.
    for (const action of actions.slice(1)) expect(action).toEqual(['release', 'on-demand', 'recommended']);
    expect(putEvents()).toEqual([
      expect.objectContaining({
        detailType: 'Capacity Plan Created',
        detail: expect.objectContaining({ planId: plan.planId, mode: 'recommend' }),
      }),
    ]);
    expect(ec2.commandCalls(CreateFleetCommand)).toEqual([]);
  });
});
