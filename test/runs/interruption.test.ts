import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createMemoryCapacityProvider } from '../../lib/memory/capacity-provider.ts';
import { fixedClock } from '../../lib/memory/clock.ts';
import { createMemoryEventSink } from '../../lib/memory/event-sink.ts';
import { createMemoryPriceSource } from '../../lib/memory/price-source.ts';
import { createMemoryStore } from '../../lib/memory/store.ts';
import type { Plan } from '../../lib/domain/plan.ts';
import { HOUR_MS, toRfc3339 } from '../../lib/domain/time.ts';
import { runInterruption } from '../../lib/runs/interruption.ts';
import { node, pool, quote, START_MS, workload } from '../optimizer/builders.ts';

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../fixtures/ec2-events/${name}`, import.meta.url), 'utf8')) as unknown;

const zoneA = pool('aws:a:p4d');
const zoneB = pool('aws:b:p4d', { zone: 'us-east-1b' });
const zoneC = pool('aws:c:p4d', { zone: 'us-east-1c' });
const prices = [
  quote('aws:a:p4d', 'spot', '9.00'),
  quote('aws:a:p4d', 'on-demand', '32.77'),
  quote('aws:b:p4d', 'spot', '10.00'),
  quote('aws:c:p4d', 'spot', '11.00'),
];

async function setup(instanceId: string, capacity: Record<string, number> = {}) {
  const store = createMemoryStore();
  await store.classes.put(workload('batch', { spotShare: 1 }));
  const interrupted = node(instanceId, zoneA, 'spot');
  await store.nodes.put(interrupted);
  const provider = createMemoryCapacityProvider({
    pools: [zoneA, zoneB, zoneC],
    prices,
    nodes: [interrupted],
    capacity,
  });
  const events = createMemoryEventSink();
  const ports = {
    store,
    prices: createMemoryPriceSource(prices),
    providers: [provider],
    events,
    clock: fixedClock(START_MS),
  };
  return { store, provider, events, ports };
}

describe('runInterruption', () => {
  it('records the notice and moves the capacity to the cheapest other spot pool, skipping one that is full', async () => {
    const { store, events, ports } = await setup('i-0123456789', { 'aws:b:p4d|spot': 0 });
    const result = await runInterruption(ports, fixture('karpenter-design_spot-itn.json'), {
      mode: 'enforce',
    });
    expect((await store.nodes.get('i-0123456789'))!.interruptionNoticeAt).toBe('2022-08-11T14:00:00Z');
    expect(result).toMatchObject({
      handled: true,
      replacements: [{ poolId: 'aws:c:p4d', option: 'spot', count: 1 }],
    });
    const handled = events.events.find((e) => e.detailType === 'Spot Interruption Handled')!;
    expect(handled.detail).toMatchObject({
      kind: 'interruption',
      poolId: 'aws:a:p4d',
      noticeAt: '2022-08-11T14:00:00Z',
    });
  });

  it('does not ask a pool whose spot launches the cloud refused in the last hour', async () => {
    const { store, ports } = await setup('i-0123456789', { 'aws:b:p4d|spot': 0 });
    const refused: Plan['actions'][number] = {
      actionId: 'plan-1:launch:aws:b:p4d:spot',
      kind: 'launch',
      poolId: 'aws:b:p4d',
      option: 'spot',
      count: 2,
      nodeIds: [],
      reason: 'plan holds 2 spot instance(s)',
      mode: 'enforce',
      status: 'failed',
      error: '2 insufficient-capacity: aws:b:p4d has capacity for 0 more spot instance(s)',
    };
    await store.plans.create({
      planId: 'plan-1',
      createdAt: toRfc3339(START_MS - 20 * 60_000),
      horizonStart: toRfc3339(START_MS - HOUR_MS),
      horizonEnd: toRfc3339(START_MS + 23 * HOUR_MS),
      quantile: 'p90',
      mode: 'enforce',
      lines: [],
      totalCostUsd: 0n,
      explanations: [],
      actions: [refused],
    });
    const result = await runInterruption(ports, fixture('karpenter-design_spot-itn.json'), {
      mode: 'enforce',
    });
    // Straight to the next cheapest spot pool: no launch in aws:b refused again first.
    expect(result).toMatchObject({ handled: true, replacements: [{ poolId: 'aws:c:p4d', option: 'spot' }] });
    expect(result.handled && result.actions.map((a) => `${a.poolId}:${a.status}`)).toEqual([
      'aws:c:p4d:done',
    ]);

    // Without the refusal on record, aws:b is asked first and refuses.
    const fresh = await setup('i-0123456789', { 'aws:b:p4d|spot': 0 });
    const asked = await runInterruption(fresh.ports, fixture('karpenter-design_spot-itn.json'), {
      mode: 'enforce',
    });
    expect(asked.handled && asked.actions.map((a) => `${a.poolId}:${a.status}`)).toEqual([
      'aws:b:p4d:failed',
      'aws:c:p4d:done',
    ]);
  });

  it('falls back to on-demand when no other spot pool has capacity', async () => {
    const { ports } = await setup('i-0b662ef9931388ba0', { 'aws:b:p4d|spot': 0, 'aws:c:p4d|spot': 0 });
    const result = await runInterruption(ports, fixture('nth_rebalance-recommendation-example.json'), {
      mode: 'enforce',
    });
    expect(result).toMatchObject({
      handled: true,
      replacements: [{ poolId: 'aws:a:p4d', option: 'on-demand', count: 1 }],
    });
  });

  it('recommends without launching in recommend mode, and takes a placeholder time as now', async () => {
    const { provider, ports } = await setup('i-1234567890abcdef0');
    const result = await runInterruption(ports, fixture('awsdocs_spot-interruption-warning.json'));
    expect(result).toMatchObject({
      handled: true,
      replacements: [{ poolId: 'aws:b:p4d', option: 'spot', count: 1 }],
    });
    expect((await provider.nodes()).map((n) => n.nodeId)).toEqual(['i-1234567890abcdef0']);
    expect((await ports.store.nodes.get('i-1234567890abcdef0'))!.interruptionNoticeAt).toBe(
      '2026-03-02T00:00:00Z',
    );
  });

  it('ignores a notice for an instance it does not know and anything that is not an EC2 notice', async () => {
    const { ports, events } = await setup('i-other');
    expect(await runInterruption(ports, fixture('karpenter-design_spot-itn.json'))).toMatchObject({
      handled: false,
    });
    expect(
      await runInterruption(ports, {
        source: 'aws.ec2',
        'detail-type': 'EC2 Instance State-change Notification',
      }),
    ).toMatchObject({
      handled: false,
    });
    expect(events.events).toEqual([]);
  });
});
