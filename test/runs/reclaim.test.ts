import { describe, expect, it } from 'vitest';
import { weeklySavings } from '../../lib/attribution/ledger.ts';
import type { FleetNode } from '../../lib/domain/fleet.ts';
import type { Store } from '../../lib/domain/ports.ts';
import type { Pool } from '../../lib/domain/pool.ts';
import { formatUsd, parseUsd } from '../../lib/domain/money.ts';
import { toRfc3339, WINDOW_MS } from '../../lib/domain/time.ts';
import type { WindowRollup } from '../../lib/domain/usage.ts';
import { createMemoryCapacityProvider } from '../../lib/memory/capacity-provider.ts';
import { manualClock } from '../../lib/memory/clock.ts';
import { createMemoryEventSink } from '../../lib/memory/event-sink.ts';
import { createMemoryStore } from '../../lib/memory/store.ts';
import { runReclaim, type ReclaimConfigInput } from '../../lib/runs/reclaim.ts';
import type { Plan } from '../../lib/domain/plan.ts';
import { freshDynamoStore } from '../support/dynamo.ts';
import { samplePlan } from '../support/store-samples.ts';
import { node, POOL, rollup, T0, type GpuSignal } from '../idle/build.ts';

const pool: Pool = {
  id: POOL,
  provider: 'aws',
  region: 'us-east-1',
  zone: 'us-east-1a',
  instanceType: 'p4d.24xlarge',
  gpuModel: 'A100',
  gpusPerInstance: 2,
  gpuMemoryGiB: 40,
  interconnect: 'nvswitch',
  bootSeconds: 300,
};
const MIN = 60_000;

async function setUp(store: Store, mode: 'recommend' | 'enforce') {
  const clock = manualClock(T0);
  const fleet: FleetNode[] = [
    node({ nodeId: 'quiet' }),
    node({ nodeId: 'wakes' }),
    node({ nodeId: 'guarded', protected: true }),
    node({ nodeId: 'silent' }),
  ];
  for (const n of fleet) await store.nodes.put(n);
  await store.prices.put([
    {
      poolId: POOL,
      option: 'on-demand',
      usdPerHour: parseUsd('8'),
      asOf: '2026-03-01T00:00:00Z',
      source: 'catalog',
      modelled: false,
    },
  ]);
  const provider = createMemoryCapacityProvider({ pools: [pool], nodes: fleet, clock });
  const events = createMemoryEventSink();
  const logs: Record<string, unknown>[] = [];
  const config: ReclaimConfigInput = { policy: { mode, maxReleasesPerRun: 5, maxPoolReleasePct: 100 } };
  /** Every node but the silent one reports the window that just ended. */
  const report = async (signals: Record<string, GpuSignal> = {}) => {
    const start = clock.now() - WINDOW_MS;
    const rs: WindowRollup[] = fleet
      .filter((n) => n.nodeId !== 'silent')
      .map((n) => rollup(n, start, signals[n.nodeId] ?? {}));
    await store.rollups.put(rs);
  };
  /** Moves time window by window, reporting each, then runs. */
  const after = async (minutes: number, signals: Record<string, GpuSignal> = {}) => {
    for (let m = 0; m < minutes; m += 5) {
      clock.advance(5 * MIN);
      await report(signals);
    }
    return runReclaim(
      { store, providers: { aws: provider }, events, clock, log: (e) => logs.push(e) },
      config,
    );
  };
  return { clock, provider, events, logs, after };
}

const stores: [string, () => Promise<Store>][] = [
  ['memory', async () => createMemoryStore()],
  ['dynalite', async () => (await freshDynamoStore()).store],
];

describe.each(stores)('reclaim run on the %s store', (_name, makeStore) => {
  it('enforce: mark → notify → grace → release, and unmark a node that got busy again', async () => {
    const store = await makeStore();
    const { provider, events, after } = await setUp(store, 'enforce');

    const first = await after(30);
    expect(first.marked.sort()).toEqual(['quiet', 'wakes']);
    expect(first.decisions.find((d) => d.nodeId === 'silent')!.decision).toBe('unknown');
    expect(first.held).toContainEqual({
      nodeId: 'guarded',
      reason: 'protected: tagged protected: never released',
    });
    expect(first.refused).toEqual([
      {
        nodeId: 'guarded',
        step: 'mark',
        refusal: { code: 'protected', detail: 'tagged protected: never released' },
      },
    ]);
    expect((await provider.nodes()).find((n) => n.nodeId === 'quiet')!.mark?.markedAt).toBe(first.at);
    expect((await store.nodes.get('quiet'))!.mark?.markedAt).toBe(first.at);
    const marked = events.events.filter((e) => e.detailType === 'Idle Node Marked');
    expect(marked).toHaveLength(2);
    expect(marked[0]!.detail).toMatchObject({
      mode: 'enforce',
      graceDeadline: toRfc3339(Date.parse(first.at) + 30 * MIN),
      hourlyCostUsd: parseUsd('8'),
    });

    // Inside the grace period nothing is released; one node gets work and is unmarked.
    const second = await after(10, { wakes: { utilizationPct: 90 } });
    expect(second.released).toEqual([]);
    expect(second.unmarked).toEqual(['wakes']);
    expect((await store.nodes.get('wakes'))!.mark).toBeUndefined();
    expect((await provider.nodes()).find((n) => n.nodeId === 'wakes')!.mark).toBeUndefined();

    const third = await after(25, { wakes: { utilizationPct: 90 } });
    expect(third.released).toEqual([{ nodeId: 'quiet', method: 'stop', recommendedOnly: false }]);
    expect((await provider.nodes()).find((n) => n.nodeId === 'quiet')!.state).toBe('stopped');
    expect((await store.nodes.get('quiet'))!).toMatchObject({ state: 'stopped' });
    expect((await store.nodes.get('quiet'))!.mark).toBeUndefined();
    for (const id of ['guarded', 'silent', 'wakes'])
      expect((await provider.nodes()).find((n) => n.nodeId === id)!.state).toBe('running');
    const released = events.events.filter((e) => e.detailType === 'Node Released');
    expect(released.map((e) => e.detail)).toEqual([
      expect.objectContaining({
        nodeId: 'quiet',
        method: 'stop',
        mode: 'enforce',
        savedUsdPerHour: parseUsd('8'),
      }),
    ]);

    const ledger = await store.ledger.between(T0, T0 + 24 * 60 * MIN);
    expect(ledger.filter((e) => e.status !== 'refused')).toEqual([
      expect.objectContaining({ lever: 'reclaim', target: 'quiet', status: 'done', mode: 'enforce' }),
    ]);
    // The protected node's refusal is in the ledger with its typed reason, once an hour, saving nothing.
    const refusals = ledger.filter((e) => e.status === 'refused');
    expect(
      refusals.map((e) => [e.target, e.refusal?.code, e.counterfactualCostUsd - e.actualCostUsd]),
    ).toEqual([
      ['guarded', 'protected', 0n],
      ['guarded', 'protected', 0n],
    ]);
    expect(weeklySavings(ledger).map((w) => [w.lever, formatUsd(w.doneUsd)])).toEqual([
      ['reclaim', '8.000000'],
    ]);
  });

  it('enforce: leaves the idle capacity an enforced capacity plan holds as headroom, reclaims only beyond it', async () => {
    const store = await makeStore();
    const { clock, provider, after } = await setUp(store, 'enforce');
    // Four live nodes; the optimizer's plan for now holds three of them (two idle ones are its headroom).
    const planFor = (mode: 'enforce' | 'recommend', instances: number, atMs: number): Plan => ({
      ...samplePlan(`plan-${mode}-${atMs}`, atMs),
      mode,
      lines: [
        {
          poolId: POOL,
          option: 'on-demand',
          periodStart: toRfc3339(atMs),
          periodEnd: toRfc3339(atMs + 60 * MIN),
          instances,
          costUsd: 0n,
        },
      ],
    });
    await store.plans.create(planFor('enforce', 3, clock.now()));
    // A later plan only recommended does not drive the fleet: it is not the one reclaim respects.
    await store.plans.create(planFor('recommend', 0, clock.now() + MIN));

    const first = await after(30);
    expect(first.marked).toHaveLength(1);
    const kept = ['quiet', 'wakes'].find((id) => !first.marked.includes(id))!;
    expect(first.held).toContainEqual({
      nodeId: kept,
      reason: `headroom: plan plan-enforce-${T0} holds 3 on-demand instance(s) of ${POOL} now`,
    });
    const later = await after(35);
    expect(later.released.map((r) => r.nodeId)).toEqual(first.marked);
    expect((await provider.nodes()).find((n) => n.nodeId === kept)!.state).toBe('running');
  });

  it('recommend: marks and announces in its own store only, recommends the release once, touches no node', async () => {
    const store = await makeStore();
    const { provider, events, after } = await setUp(store, 'recommend');
    const first = await after(30);
    expect(first.marked.sort()).toEqual(['quiet', 'wakes']);
    expect((await provider.nodes()).every((n) => n.mark === undefined)).toBe(true);
    expect((await store.nodes.get('quiet'))!.mark).toBeDefined();

    const later = await after(35);
    expect(later.released.map((r) => r.nodeId).sort()).toEqual(['quiet', 'wakes']);
    expect(later.released.every((r) => r.recommendedOnly)).toBe(true);
    expect((await provider.nodes()).every((n) => n.state === 'running')).toBe(true);
    const again = await after(5);
    expect(again.released).toEqual([]);
    expect(again.held).toContainEqual({ nodeId: 'quiet', reason: 'release already recommended' });

    const released = events.events.filter((e) => e.detailType === 'Node Released');
    expect(released).toHaveLength(2);
    expect(released.every((e) => e.detail.mode === 'recommend')).toBe(true);
    const ledger = await store.ledger.between(T0, T0 + 24 * 60 * MIN);
    expect(
      ledger
        .filter((e) => e.status !== 'refused')
        .map((e) => [e.target, e.status])
        .sort(),
    ).toEqual([
      ['quiet', 'recommended'],
      ['wakes', 'recommended'],
    ]);
    expect(weeklySavings(ledger)[0]!.recommendedUsd).toBe(parseUsd('16'));
  });
});

describe('reclaim run', () => {
  it('reports a stalled job to its owner and team, and never touches it', async () => {
    const store = createMemoryStore();
    const { events, logs, after, provider } = await setUp(store, 'enforce');
    const stall = { processCount: 1 };
    // The job holds the GPUs of "quiet" at 0 % for half an hour.
    const job = { jobId: 'train-9', user: 'ada', team: 'vision', gpuSeconds: 0 };
    for (let i = 0; i < 6; i++) {
      const r = await after(5, { quiet: stall });
      // The same window's item again, now naming the job that holds the GPUs (a redelivery rewrites it).
      await store.rollups.put([
        rollup(node({ nodeId: 'quiet' }), Date.parse(r.at) - WINDOW_MS, stall, { jobs: [job] }),
      ]);
    }
    const result = await after(0);
    expect(result.stalled).toEqual([
      expect.objectContaining({ jobId: 'train-9', user: 'ada', team: 'vision' }),
    ]);
    expect(logs.some((l) => l.msg === 'stalled job: alive on its GPUs at 0 %' && l.jobId === 'train-9')).toBe(
      true,
    );
    expect(result.decisions.find((d) => d.nodeId === 'quiet')!.decision).toBe('busy');
    expect((await provider.nodes()).find((n) => n.nodeId === 'quiet')!.state).toBe('running');
    expect(events.events.some((e) => e.detailType === 'Node Released')).toBe(false);
  });

  it('does nothing but report with the kill switch on, and one failing connector fails only its own nodes', async () => {
    const store = createMemoryStore();
    const { clock, events } = await setUp(store, 'enforce');
    const GCP_POOL = 'gcp:us-central1:us-central1-a:a2-highgpu-2g';
    await store.nodes.put(node({ nodeId: 'gcp-1', provider: 'gcp', poolId: GCP_POOL }));
    for (let m = 5; m <= 30; m += 5) {
      await store.rollups.put(
        ['quiet', 'wakes', 'gcp-1', 'guarded'].map((id) =>
          rollup(node({ nodeId: id, ...(id === 'gcp-1' ? { poolId: GCP_POOL } : {}) }), T0 + (m - 5) * MIN),
        ),
      );
    }
    clock.advance(30 * MIN);
    const provider = createMemoryCapacityProvider({ pools: [pool], nodes: await store.nodes.list(), clock });
    const ports = { store, providers: { aws: provider }, events, clock, log: () => {} };
    const off = await runReclaim(ports, { policy: { mode: 'enforce', killSwitch: true } });
    expect(off.marked).toEqual([]);
    expect(new Set(off.refused.map((r) => r.refusal.code))).toEqual(new Set(['kill-switch']));
    expect(off.held.map((h) => h.reason)).toContain('kill-switch: the kill switch is on: nothing changes');
    const on = await runReclaim(ports, { policy: { mode: 'enforce' } });
    expect(on.marked.sort()).toEqual(['quiet', 'wakes']);
    expect(on.refused).toContainEqual({
      nodeId: 'gcp-1',
      step: 'mark',
      refusal: { code: 'no-provider', detail: `no connector for provider gcp owns pool ${GCP_POOL}` },
    });
  });
});
