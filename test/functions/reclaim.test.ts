import {
  CreateTagsCommand,
  DescribeInstancesCommand,
  EC2Client,
  StopInstancesCommand,
} from '@aws-sdk/client-ec2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { FleetNode } from '../../lib/domain/fleet.ts';
import type { Store } from '../../lib/domain/ports.ts';

import { node, POOL, T0, windows, type GpuSignal } from '../idle/build.ts';
import { pool, quote } from '../optimizer/builders.ts';
import { doorTable, mockBus, schedulerEvent } from './support.ts';

const MIN = 60_000;
const p4d = pool(POOL, { instanceType: 'p4d.24xlarge', gpusPerInstance: 2, gpuMemoryGiB: 40 });
const quiet = node({ nodeId: 'i-0a1b2c3d4e5f60001' });
const busy = node({ nodeId: 'i-0a1b2c3d4e5f60002' });
const guarded = node({ nodeId: 'i-0a1b2c3d4e5f60003', protected: true });
const fleet = [quiet, busy, guarded];

const ec2 = mockClient(EC2Client);
const bus = mockClient(EventBridgeClient);
const putEvents = mockBus(bus);

/** The managed instances EC2 lists, as DescribeInstances answers. */
function describeAnswer(nodes: readonly FleetNode[]) {
  return {
    Reservations: [
      {
        Instances: nodes.map((n) => ({
          InstanceId: n.nodeId,
          InstanceType: 'p4d.24xlarge' as const,
          State: { Name: 'running' as const, Code: 16 },
          Placement: { AvailabilityZone: 'us-east-1a' },
          LaunchTime: new Date('2026-03-01T00:00:00Z'),
          Tags: [
            { Key: 'gpu-optimizer:managed', Value: 'true' },
            { Key: 'team', Value: 'vision' },
            ...(n.protected ? [{ Key: 'gpu-optimizer:protected', Value: 'true' }] : []),
          ],
        })),
      },
    ],
  };
}

/** A door module with this mode, on its own table with the fleet in it (the door reads its environment at import). */
async function door(mode: 'recommend' | 'enforce') {
  const { store } = await doorTable({ pools: [p4d], mode, reclaim: { policy: { maxPoolReleasePct: 100 } } });
  for (const n of fleet) await store.nodes.put(n);
  await store.prices.put([quote(POOL, 'on-demand', '8')]);
  vi.resetModules();
  const { handler } = await import('../../functions/reclaim.ts');
  /** Every node reports `minutes` of windows up to now (the busy one at 90 %), then the schedule fires. */
  const after = async (minutes: number) => {
    const startMs = Date.now();
    vi.setSystemTime(startMs + minutes * MIN);
    await report(store, startMs + minutes * MIN, minutes / 5);
    return handler(schedulerEvent(Date.now(), 'reclaim'), {} as Context);
  };
  return { store, after };
}

async function report(store: Store, endMs: number, count: number) {
  const signal = (n: FleetNode): GpuSignal => (n === busy ? { utilizationPct: 90 } : {});
  await store.rollups.put(fleet.flatMap((n) => windows(n, endMs, count, signal(n))));
}

describe('functions/reclaim', () => {
  beforeAll(() => vi.useFakeTimers({ toFake: ['Date'] }));
  afterAll(() => vi.useRealTimers());
  beforeEach(() => {
    vi.setSystemTime(T0);
    ec2.reset();
    bus.resetHistory();
  });

  it('recommend (the default): marks in its own table, announces, recommends the release, and never calls EC2', async () => {
    const { store, after } = await door('recommend');
    const first = await after(30);
    expect(first.marked).toEqual([quiet.nodeId]);
    expect(first.held).toContainEqual({
      nodeId: guarded.nodeId,
      reason: 'protected: tagged protected: never released',
    });
    expect((await store.nodes.get(quiet.nodeId))!.mark?.markedAt).toBe(first.at);
    expect((await store.nodes.get(busy.nodeId))!.mark).toBeUndefined();
    expect(putEvents()).toEqual([
      expect.objectContaining({
        source: 'gpu-optimizer.decisions',
        detailType: 'Idle Node Marked',
        busName: 'gpu-optimizer',
        detail: expect.objectContaining({ nodeId: quiet.nodeId, mode: 'recommend' }),
      }),
    ]);

    const later = await after(35);
    expect(later.released).toEqual([{ nodeId: quiet.nodeId, method: 'stop', recommendedOnly: true }]);
    expect((await store.nodes.get(quiet.nodeId))!.state).toBe('running');
    expect(putEvents().map((e) => e.detailType)).toEqual(['Idle Node Marked', 'Node Released']);
    const ledger = await store.ledger.between(T0, T0 + 24 * 60 * MIN);
    expect(
      ledger.filter((e) => e.status !== 'refused').map((e) => [e.lever, e.target, e.status, e.mode]),
    ).toEqual([['reclaim', quiet.nodeId, 'recommended', 'recommend']]);
    expect(ec2.calls()).toEqual([]);
  });

  it('enforce: tags the idle instance, stops it after the grace period, and leaves the busy and protected ones', async () => {
    ec2.on(DescribeInstancesCommand).resolves(describeAnswer(fleet));
    ec2.on(CreateTagsCommand).resolves({});
    ec2.on(StopInstancesCommand).resolves({});
    const { store, after } = await door('enforce');

    const first = await after(30);
    expect(first.marked).toEqual([quiet.nodeId]);
    const tagged = ec2.commandCalls(CreateTagsCommand).map((c) => c.args[0].input);
    expect(tagged).toEqual([
      expect.objectContaining({
        Resources: [quiet.nodeId],
        Tags: expect.arrayContaining([{ Key: 'gpu-optimizer:marked-at', Value: first.at }]),
      }),
    ]);
    expect(ec2.commandCalls(StopInstancesCommand)).toEqual([]);

    const later = await after(35);
    expect(later.released).toEqual([{ nodeId: quiet.nodeId, method: 'stop', recommendedOnly: false }]);
    expect(ec2.commandCalls(StopInstancesCommand).map((c) => c.args[0].input)).toEqual([
      { InstanceIds: [quiet.nodeId], Hibernate: false },
    ]);
    expect((await store.nodes.get(quiet.nodeId))!.state).toBe('stopped');
    expect(putEvents().find((e) => e.detailType === 'Node Released')?.detail).toMatchObject({
      nodeId: quiet.nodeId,
      mode: 'enforce',
    });
    const ledger = await store.ledger.between(T0, T0 + 24 * 60 * MIN);
    expect(ledger.filter((e) => e.status !== 'refused').map((e) => [e.target, e.status])).toEqual([
      [quiet.nodeId, 'done'],
    ]);
  });
});
