import { describe, expect, it } from 'vitest';
import { HOUR_MS, toRfc3339 } from '../../lib/domain/time.ts';
import { capacityKey, createMemoryCapacityProvider } from '../../lib/memory/capacity-provider.ts';
import { fixedClock } from '../../lib/memory/clock.ts';
import { createMemoryEventSink } from '../../lib/memory/event-sink.ts';
import { createMemoryPriceSource } from '../../lib/memory/price-source.ts';
import { createMemoryStore } from '../../lib/memory/store.ts';
import { runOptimize } from '../../lib/runs/optimize.ts';
import type { Store } from '../../lib/domain/ports.ts';
import { windows } from '../idle/build.ts';
import {
  flatForecastAt,
  node,
  pool,
  quote,
  START_MS,
  steadyForecast,
  workload,
} from '../optimizer/builders.ts';

const p4d = pool('aws:p4d');
const prices = [quote('aws:p4d', 'on-demand', '32.77'), quote('aws:p4d', 'spot', '9.83')];

const forecast = (classId: string, gpus: number) =>
  steadyForecast(classId, { point: gpus - 4, p90: gpus, p99: gpus + 8 });

/** Half an hour of quiet GPU readings for each node, as its agent would have sent them. */
export async function idleReadings(
  store: Store,
  nodes: readonly { nodeId: string; poolId: string; gpuCount: number }[],
  nowMs: number,
) {
  for (const n of nodes) await store.rollups.put(windows(n, nowMs, 6, { utilizationPct: 0 }));
}

async function setup(mode: 'recommend' | 'enforce') {
  const store = createMemoryStore();
  await idleReadings(store, [node('i-od', p4d, 'on-demand')], START_MS + 5 * 60_000);
  await store.classes.put(workload('batch', { spotShare: 1 }));
  await store.forecasts.put(forecast('batch', 16));
  const provider = createMemoryCapacityProvider({
    pools: [p4d],
    prices,
    nodes: [node('i-od', p4d, 'on-demand')],
  });
  const events = createMemoryEventSink();
  const ports = {
    store,
    prices: createMemoryPriceSource(prices),
    providers: [provider],
    events,
    clock: fixedClock(START_MS + 5 * 60_000),
  };
  const result = await runOptimize(ports, { mode, horizonHours: 24 });
  return { store, provider, events, result };
}

describe('runOptimize', () => {
  it('plans from the latest forecast (later hours at the median), stores the plan and emits Capacity Plan Created', async () => {
    const { store, events, result } = await setup('recommend');
    expect(result.error).toBeUndefined();
    const plan = (await store.plans.get(result.planId!))!;
    expect(plan.quantile).toBe('p50');
    expect(
      plan.lines.filter((l) => l.periodStart === plan.horizonStart).map((l) => [l.option, l.instances]),
    ).toEqual([['spot', 2]]);
    const event = events.events.find((e) => e.detailType === 'Capacity Plan Created')!;
    expect(event.detail).toMatchObject({
      planId: plan.planId,
      mode: 'recommend',
      totalCostUsd: plan.totalCostUsd,
    });
    expect(plan.actions.map((a) => [a.kind, a.option, a.status])).toEqual([
      ['launch', 'spot', 'recommended'],
      ['release', 'on-demand', 'recommended'],
    ]);
  });

  it('changes the fleet only in enforce mode', async () => {
    const { provider, result } = await setup('enforce');
    expect(result.actions.map((a) => a.status)).toEqual(['done', 'done']);
    const live = (await provider.nodes()).filter((n) => n.state === 'running' || n.state === 'pending');
    expect(live.map((n) => n.purchaseOption)).toEqual(['spot', 'spot']);
  });

  it('reports a plan it cannot make as Run Failed naming the constraint, not as an empty plan', async () => {
    const store = createMemoryStore();
    await store.classes.put(workload('llm', { minGpuMemoryGiB: 200 }));
    await store.forecasts.put(forecast('llm', 8));
    const events = createMemoryEventSink();
    const result = await runOptimize({
      store,
      prices: createMemoryPriceSource(prices),
      providers: [createMemoryCapacityProvider({ pools: [p4d], prices })],
      events,
      clock: fixedClock(START_MS),
    });
    expect(result.error).toMatch(/demand_llm_0/);
    expect(await store.plans.between(0, Number.MAX_SAFE_INTEGER)).toEqual([]);
    expect(events.events.map((e) => e.detailType)).toEqual(['Run Failed']);
  });

  it('plans the first hour for the rise the last week says may come, not below the last hour', async () => {
    // Demand climbed 4 GPUs an hour all week and stands at 40; the model expects it to fall back to 16.
    const run = async (enabled: boolean) => {
      const store = createMemoryStore();
      await store.classes.put(workload('batch', { spotShare: 1 }));
      await store.forecasts.put(forecast('batch', 16));
      await store.demand.put(
        Array.from({ length: 7 * 24 }, (_, i) => ({
          classId: 'batch',
          hourStartMs: START_MS - (7 * 24 - i) * 3600_000,
          gpus: Math.max(0, 40 - 4 * (7 * 24 - 1 - i)),
        })),
      );
      const result = await runOptimize(
        {
          store,
          prices: createMemoryPriceSource(prices),
          providers: [createMemoryCapacityProvider({ pools: [p4d], prices })],
          events: createMemoryEventSink(),
          clock: fixedClock(START_MS + 5 * 60_000),
        },
        { horizonHours: 24, hourAhead: { enabled } },
      );
      const plan = (await store.plans.get(result.planId!))!;
      const gpusAt = (start: string) =>
        plan.lines.filter((l) => l.periodStart === start).reduce((a, l) => a + l.instances, 0) *
        p4d.gpusPerInstance;
      return { first: gpusAt(plan.horizonStart), later: gpusAt(toRfc3339(START_MS + 5 * 3600_000)) };
    };
    const lifted = await run(true);
    const plain = await run(false);
    // Last hour 40, the usual rise 4: the first hour holds at least 44 GPUs; the forecast alone holds 16.
    expect(lifted.first).toBeGreaterThanOrEqual(44);
    expect(plain.first).toBeLessThan(24);
    // Later hours keep the forecast: there is time to correct them.
    expect(lifted.later).toBe(plain.later);
  });

  it('never releases a node its agent says runs a job, though the cloud API does not know of jobs', async () => {
    const store = createMemoryStore();
    await store.classes.put(workload('batch', { spotShare: 1 }));
    await store.forecasts.put(forecast('batch', 16));
    const listed = node('i-od', p4d, 'on-demand');
    await store.nodes.put({ ...listed, runningJobs: ['slurm-4242'] });
    const provider = createMemoryCapacityProvider({ pools: [p4d], prices, nodes: [listed] });
    const result = await runOptimize(
      {
        store,
        prices: createMemoryPriceSource(prices),
        providers: [provider],
        events: createMemoryEventSink(),
        clock: fixedClock(START_MS + 5 * 60_000),
      },
      { mode: 'enforce', horizonHours: 24 },
    );
    expect(result.actions.filter((a) => a.kind === 'release')).toEqual([]);
    expect((await provider.nodes()).find((n) => n.nodeId === 'i-od')!.state).toBe('running');
  });

  it('never releases a node whose agent reports a job now, though the stored node says none (a stale batch won)', async () => {
    const store = createMemoryStore();
    await store.classes.put(workload('batch', { spotShare: 1 }));
    await store.forecasts.put(forecast('batch', 16));
    const listed = node('i-od', p4d, 'on-demand');
    // The stored node kept runningJobs [] from an idle batch stamped in the future; the honest batches say job-7.
    await store.nodes.put({ ...listed, runningJobs: [], lastSeenAt: '2099-01-01T00:00:00Z' });
    const nowMs = START_MS + 5 * 60_000;
    await store.rollups.put(
      windows(listed, nowMs, 6, { utilizationPct: 0 }, { jobs: [{ jobId: 'job-7', gpuSeconds: 0 }] }),
    );
    const provider = createMemoryCapacityProvider({ pools: [p4d], prices, nodes: [listed] });
    const result = await runOptimize(
      {
        store,
        prices: createMemoryPriceSource(prices),
        providers: [provider],
        events: createMemoryEventSink(),
        clock: fixedClock(nowMs),
      },
      { mode: 'enforce', horizonHours: 24 },
    );
    expect(result.actions.filter((a) => a.kind === 'release' && a.status === 'done')).toEqual([]);
    expect((await provider.nodes()).find((n) => n.nodeId === 'i-od')!.state).toBe('running');
  });

  it('stops asking a pool for spot it refused in the last six hours, so refused launches do not pile up elsewhere', async () => {
    const full = pool('aws:p4d-a');
    const other = pool('aws:p4d-b');
    const twoPools = [
      quote(full.id, 'on-demand', '32.77'),
      quote(full.id, 'spot', '5.00'),
      quote(other.id, 'on-demand', '32.77'),
      quote(other.id, 'spot', '9.83'),
    ];
    const store = createMemoryStore();
    await store.classes.put(workload('batch', { spotShare: 1 }));
    await store.forecasts.put(forecast('batch', 16));
    // The cheaper pool has no spot to give.
    const provider = createMemoryCapacityProvider({
      pools: [full, other],
      prices: twoPools,
      nodes: [],
      capacity: { [capacityKey(full.id, 'spot')]: 0 },
    });
    const runAt = (nowMs: number) =>
      runOptimize(
        {
          store,
          prices: createMemoryPriceSource(twoPools),
          providers: [provider],
          events: createMemoryEventSink(),
          clock: fixedClock(nowMs),
        },
        { mode: 'enforce', horizonHours: 24, hourAhead: { enabled: false } },
      );
    const refusedLaunches = (actions: { kind: string; poolId: string; error?: string }[]) =>
      actions.filter(
        (a) => a.kind === 'launch' && a.poolId === full.id && a.error?.includes('insufficient-capacity'),
      );

    const first = await runAt(START_MS + 5 * 60_000);
    expect(refusedLaunches(first.actions)).toHaveLength(1);
    const live = async () =>
      (await provider.nodes()).filter((n) => n.state === 'running' || n.state === 'pending');
    expect((await live()).map((n) => [n.poolId, n.purchaseOption])).toEqual([
      [other.id, 'spot'],
      [other.id, 'spot'],
    ]);

    // An hour on, demand doubles: the two more instances are asked of the pool that has spot.
    await store.forecasts.put(flatForecastAt('batch', START_MS + HOUR_MS, { point: 28, p90: 32, p99: 40 }));
    const second = await runAt(START_MS + HOUR_MS + 5 * 60_000);
    const plan = (await store.plans.get(second.planId!))!;
    const spotInFull = plan.lines.filter(
      (l) => l.periodStart === plan.horizonStart && l.poolId === full.id && l.option === 'spot',
    );
    expect(spotInFull.reduce((a, l) => a + l.instances, 0)).toBe(0);
    expect(refusedLaunches(second.actions)).toEqual([]);
    expect((await live()).map((n) => [n.poolId, n.purchaseOption])).toEqual(
      new Array(4).fill([other.id, 'spot']),
    );

    // Three hours after the refusal, with an hour between in which the pool was not asked: still not asked.
    await store.forecasts.put(
      flatForecastAt('batch', START_MS + 3 * HOUR_MS, { point: 44, p90: 48, p99: 56 }),
    );
    const third = await runAt(START_MS + 3 * HOUR_MS + 5 * 60_000);
    expect(refusedLaunches(third.actions)).toEqual([]);
    expect((await live()).filter((n) => n.poolId === other.id)).toHaveLength(6);

    // Once the refusal is over six hours old the pool is asked again (here it still has none to give).
    await store.forecasts.put(
      flatForecastAt('batch', START_MS + 7 * HOUR_MS, { point: 60, p90: 64, p99: 72 }),
    );
    const fourth = await runAt(START_MS + 7 * HOUR_MS + 5 * 60_000);
    expect(refusedLaunches(fourth.actions)).toHaveLength(1);
  });
});
