// Optimize in enforce mode never strands capacity: a failed spot launch keeps what it was to replace, or falls back.
import { CreateFleetCommand } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { createEc2Provider } from '../../lib/connectors/aws-ec2/provider.ts';
import type { Pool } from '../../lib/domain/pool.ts';
import type { CapacityProvider, Store } from '../../lib/domain/ports.ts';
import { createMemoryCapacityProvider } from '../../lib/memory/capacity-provider.ts';
import { manualClock, type ManualClock } from '../../lib/memory/clock.ts';
import { createMemoryEventSink } from '../../lib/memory/event-sink.ts';
import { createMemoryPriceSource } from '../../lib/memory/price-source.ts';
import { createMemoryStore } from '../../lib/memory/store.ts';
import { runOptimize } from '../../lib/runs/optimize.ts';
import { capacityKey, createFakeEc2, ec2Error, type FakeEc2 } from '../connectors/fake-ec2.ts';
import { windows } from '../idle/build.ts';
import { node, pool, quote, START_MS, steadyForecast, workload } from '../optimizer/builders.ts';

const MIN = 60_000;
const P4D: Pool = pool('aws:us-east-1:us-east-1a:p4d.24xlarge', {
  instanceType: 'p4d.24xlarge',
  gpuMemoryGiB: 40,
});
const PRICES = [quote(P4D.id, 'on-demand', '32.77'), quote(P4D.id, 'spot', '9.83')];

const forecast = (classId: string, gpus: number) => steadyForecast(classId, { point: gpus });

/** A class allowed fully on spot, a forecast of 16 GPUs, and no hour-ahead lift (no history yet). */
async function seed(store: Store) {
  await store.classes.put(workload('batch', { team: 'llm', spotShare: 1 }));
  await store.forecasts.put(forecast('batch', 16));
}

/** The agents of the live nodes report a quiet half hour, so only the ordering can keep a node. */
async function report(store: Store, provider: CapacityProvider, nowMs: number) {
  for (const n of await provider.nodes())
    if (n.state === 'running') await store.rollups.put(windows(n, nowMs, 6, { utilizationPct: 0 }));
}

async function optimize(store: Store, provider: CapacityProvider, clock: ManualClock, prices = PRICES) {
  await report(store, provider, clock.now());
  return runOptimize(
    {
      store,
      prices: createMemoryPriceSource(prices),
      providers: [provider],
      events: createMemoryEventSink(),
      clock,
    },
    { mode: 'enforce', horizonHours: 24, hourAhead: { enabled: false } },
  );
}

function ec2WithTwoOnDemand(): { fake: FakeEc2; provider: CapacityProvider } {
  const fake = createFakeEc2('us-east-1');
  for (const id of ['i-0ondemand00000001', 'i-0ondemand00000002'])
    fake.add({ InstanceId: id, Tags: [{ Key: 'gpu-optimizer:managed', Value: 'true' }] });
  const provider = createEc2Provider({
    ec2: fake.client,
    region: 'us-east-1',
    pools: [P4D],
    launchTemplate: { launchTemplateId: 'lt-0abcdef1234567890' },
    clock: { now: () => START_MS },
  });
  return { fake, provider };
}

const runningGpus = async (provider: CapacityProvider) =>
  (await provider.nodes()).filter((n) => n.state === 'running').reduce((a, n) => a + n.gpuCount, 0);

describe('optimize (enforce) with a spot launch that fails', () => {
  const failures: [string, (fake: FakeEc2) => void][] = [
    [
      'spot capacity 0 (CreateFleet answers InsufficientInstanceCapacity in Errors)',
      (fake) => fake.capacity.set(capacityKey('us-east-1a', 'p4d.24xlarge', 'spot'), 0),
    ],
    [
      'CreateFleet throwing InsufficientInstanceCapacity',
      (fake) =>
        fake.mock
          .on(CreateFleetCommand)
          .rejects(
            ec2Error(
              'InsufficientInstanceCapacity',
              'We currently do not have sufficient p4d.24xlarge capacity in the Availability Zone you requested (us-east-1a).',
            ),
          ),
    ],
  ];

  it.each(failures)(
    'keeps both on-demand p4d nodes when %s, and stays at 16 GPUs over the next runs',
    async (_name, fail) => {
      const { fake, provider } = ec2WithTwoOnDemand();
      fail(fake);
      const store = createMemoryStore();
      await seed(store);
      const clock = manualClock(START_MS + 5 * MIN);

      const first = await optimize(store, provider, clock);
      const launch = first.actions.find((a) => a.kind === 'launch' && a.option === 'spot')!;
      expect(launch.status).toBe('failed');
      expect(launch.error).toContain('InsufficientInstanceCapacity');
      expect(await runningGpus(provider)).toBe(16);
      const releases = first.actions.filter((a) => a.kind === 'release');
      expect(releases.length).toBeGreaterThan(0);
      for (const r of releases) {
        expect(r.status).toBe('refused');
        expect(r.refusal?.code).toBe('waits-for-launch');
      }
      expect(launch.team).toBe('llm');
      // The refusals are in the ledger with their typed reason.
      const ledger = await store.ledger.between(0, Number.MAX_SAFE_INTEGER);
      expect(ledger.filter((e) => e.refusal?.code === 'waits-for-launch')).toHaveLength(releases.length);

      for (const minutes of [20, 35, 50]) {
        clock.set(START_MS + minutes * MIN);
        await optimize(store, provider, clock);
        expect(await runningGpus(provider)).toBe(16);
      }
      expect(fake.mock.commandCalls(CreateFleetCommand).length).toBeGreaterThan(0);
    },
  );

  it('waits for a spot launch that succeeds to run before releasing the on-demand nodes it replaces', async () => {
    const { fake, provider } = ec2WithTwoOnDemand();
    const store = createMemoryStore();
    await seed(store);
    const clock = manualClock(START_MS + 5 * MIN);

    const first = await optimize(store, provider, clock);
    const launched = first.actions.find((a) => a.kind === 'launch')!;
    expect(launched).toMatchObject({ status: 'done', option: 'spot' });
    expect(launched.nodeIds).toHaveLength(2);
    // The spot nodes are pending: the on-demand nodes keep serving.
    expect(first.actions.filter((a) => a.kind === 'release').map((a) => a.refusal?.code)).toEqual([
      'waits-for-launch',
      'waits-for-launch',
    ]);
    expect(await runningGpus(provider)).toBe(16);
    // Launched with the team its class belongs to.
    const tags = fake.instances.get(launched.nodeIds[0]!)!.Tags ?? [];
    expect(tags).toContainEqual({ Key: 'team', Value: 'llm' });

    for (const id of launched.nodeIds) fake.instances.get(id)!.State = { Code: 16, Name: 'running' };
    clock.set(START_MS + 20 * MIN);
    const second = await optimize(store, provider, clock);
    expect(second.actions.filter((a) => a.kind === 'release').map((a) => a.status)).toEqual(['done', 'done']);
    const live = (await provider.nodes()).filter((n) => n.state === 'running');
    expect(live.map((n) => n.purchaseOption)).toEqual(['spot', 'spot']);
  });
});

describe('optimize (enforce) falls back within the run', () => {
  const P4D_B = pool('aws:us-east-1:us-east-1b:p4d.24xlarge', {
    zone: 'us-east-1b',
    instanceType: 'p4d.24xlarge',
    gpuMemoryGiB: 40,
  });

  it('to spot in another pool, then keeps the on-demand node until the next run sees the spot capacity', async () => {
    const prices = [...PRICES, quote(P4D_B.id, 'on-demand', '32.77'), quote(P4D_B.id, 'spot', '12.10')];
    const provider = createMemoryCapacityProvider({
      pools: [P4D, P4D_B],
      prices,
      nodes: [node('i-od', P4D, 'on-demand')],
      capacity: { [`${P4D.id}|spot`]: 0 },
      clock: { now: () => START_MS },
    });
    const store = createMemoryStore();
    await seed(store);
    const clock = manualClock(START_MS + 5 * MIN);
    const result = await optimize(store, provider, clock, prices);
    const launches = result.actions.filter((a) => a.kind === 'launch');
    expect(launches.map((a) => [a.poolId, a.option, a.status])).toEqual([
      [P4D.id, 'spot', 'failed'],
      [P4D_B.id, 'spot', 'done'],
    ]);
    expect(await runningGpus(provider)).toBeGreaterThanOrEqual(16);
  });

  it('to on-demand when no spot is left anywhere, and never below what it held', async () => {
    const provider = createMemoryCapacityProvider({
      pools: [P4D],
      prices: PRICES,
      nodes: [node('i-od', P4D, 'on-demand')],
      capacity: { [`${P4D.id}|spot`]: 0 },
      clock: { now: () => START_MS },
    });
    const store = createMemoryStore();
    await seed(store);
    const clock = manualClock(START_MS + 5 * MIN);
    const result = await optimize(store, provider, clock);
    expect(result.actions.filter((a) => a.kind === 'launch').map((a) => [a.option, a.status])).toEqual([
      ['spot', 'failed'],
      ['on-demand', 'done'],
    ]);
    // The held on-demand node stays: the plan's 16 GPUs need both.
    expect((await provider.nodes()).find((n) => n.nodeId === 'i-od')!.state).toBe('running');
    expect(await runningGpus(provider)).toBe(16);
  });
});
