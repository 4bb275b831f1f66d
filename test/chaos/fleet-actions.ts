// Chaos driver: random fleets × random launch failures through optimize, interruption and reclaim in enforce
// mode. No unsafe release (a node with a job, a login, protected, unmanaged, reserved or without GPU evidence)
// and no stranded capacity (served GPUs below min(demand, what was held) because of a run).
import fc from 'fast-check';
import type { FleetNode } from '../../lib/domain/fleet.ts';
import { isLive } from '../../lib/domain/fleet.ts';
import { poolOptionKey, type Pool, type PurchaseOption } from '../../lib/domain/pool.ts';
import type { CapacityProvider, Store } from '../../lib/domain/ports.ts';
import { toRfc3339 } from '../../lib/domain/time.ts';
import {
  createMemoryCapacityProvider,
  type MemoryCapacityProvider,
} from '../../lib/memory/capacity-provider.ts';
import { manualClock } from '../../lib/memory/clock.ts';
import { createMemoryEventSink } from '../../lib/memory/event-sink.ts';
import { createMemoryPriceSource } from '../../lib/memory/price-source.ts';
import { createMemoryStore } from '../../lib/memory/store.ts';
import { runInterruption } from '../../lib/runs/interruption.ts';
import { runOptimize } from '../../lib/runs/optimize.ts';
import { runReclaim } from '../../lib/runs/reclaim.ts';
import { windows } from '../idle/build.ts';
import { node, pool, quote, START_MS, steadyForecast, workload } from '../optimizer/builders.ts';

const MIN = 60_000;
const NOW = START_MS + 5 * MIN;
const POOLS: Pool[] = [
  pool('aws:us-east-1:us-east-1a:p4d.24xlarge', { instanceType: 'p4d.24xlarge' }),
  pool('aws:us-east-1:us-east-1b:p4d.24xlarge', { zone: 'us-east-1b', instanceType: 'p4d.24xlarge' }),
];
const PRICES = POOLS.flatMap((p, i) => [
  quote(p.id, 'on-demand', '32.77'),
  quote(p.id, 'spot', i === 0 ? '9.83' : '11.20'),
]);

export interface FleetActionChaosOptions {
  cases: number;
  seed: number;
}

export interface FleetActionChaosCounts {
  cases: number;
  /** Cases where a run threw or an invariant broke. */
  failures: number;
  unsafeReleases: number;
  strandedCapacityEvents: number;
  /** What the cases exercised, so that zeros above mean something. */
  exercised: { releases: number; launchesShort: number; fallbacks: number; refusals: number };
  /** The first few broken cases, described, to reproduce them. */
  examples: string[];
}

interface NodeSpec {
  option: 'on-demand' | 'spot' | 'reserved';
  pool: 0 | 1;
  managed: boolean;
  protected: boolean;
  schedulerJob: boolean;
  readingsJob: boolean;
  recentLogin: boolean;
  noGpus: boolean;
  readings: boolean;
}

interface CaseSpec {
  nodes: NodeSpec[];
  demandInstances: number;
  spotShare: number;
  /** Live instances each pool × option can still hold (absent: unlimited). */
  capacity: { pool: 0 | 1; option: 'spot' | 'on-demand'; instances: number }[];
  interruptSpot: boolean;
}

/** One fault in six on average, so that most nodes could be released and the guards are what stops the rest. */
const rarely = fc.constantFrom(false, false, false, false, false, true);

const arbNode: fc.Arbitrary<NodeSpec> = fc.record({
  option: fc.constantFrom('on-demand', 'on-demand', 'on-demand', 'spot', 'reserved'),
  pool: fc.constantFrom(0, 0, 1),
  managed: rarely.map((b) => !b),
  protected: rarely,
  schedulerJob: rarely,
  readingsJob: rarely,
  recentLogin: rarely,
  noGpus: rarely,
  readings: rarely.map((b) => !b),
});

/** Launch failures: a pool × option out of capacity (0) or nearly (1, 2 more instances). */
const arbCapacity = fc.record({
  pool: fc.constantFrom(0, 0, 1),
  option: fc.constantFrom('spot', 'spot', 'on-demand'),
  instances: fc.constantFrom(0, 0, 1, 2),
});

const arbCase: fc.Arbitrary<CaseSpec> = fc.record({
  nodes: fc.array(arbNode, { minLength: 0, maxLength: 6 }),
  demandInstances: fc.integer({ min: 0, max: 5 }),
  spotShare: fc.constantFrom(0, 0.5, 1, 1),
  capacity: fc.array(arbCapacity, { maxLength: 3 }),
  interruptSpot: fc.boolean(),
});

const forecast = (gpus: number) => steadyForecast('batch', { point: gpus }, 4);

/** Why releasing this node would be unsafe, or undefined when it may go. */
function unsafeToRelease(spec: NodeSpec): string | undefined {
  if (spec.protected) return 'protected';
  if (!spec.managed) return 'unmanaged';
  if (spec.option === 'reserved') return 'reserved';
  if (spec.schedulerJob || spec.readingsJob) return 'running a job';
  if (spec.recentLogin) return 'recent login';
  if (spec.noGpus) return '0 GPUs';
  if (!spec.readings) return 'no GPU readings';
  return undefined;
}

const servingGpus = async (provider: CapacityProvider) =>
  (await provider.nodes()).filter((n) => n.state === 'running').reduce((a, n) => a + n.gpuCount, 0);

/** What ingest would do between runs: the store learns the provider's states and the new nodes. */
async function syncStore(store: Store, provider: MemoryCapacityProvider) {
  for (const n of await provider.nodes()) {
    if (!(await store.nodes.patch(n.nodeId, { state: n.state }))) await store.nodes.put(n);
  }
}

async function runCase(
  spec: CaseSpec,
  index: number,
  exercised: FleetActionChaosCounts['exercised'],
): Promise<{ unsafe: string[]; stranded: string[] }> {
  const specs = new Map<string, NodeSpec>();
  const nodes: FleetNode[] = spec.nodes.map((s, i) => {
    const p = POOLS[s.pool]!;
    // EC2's id form (i- and 8 to 17 hex digits): the interruption run refuses a notice for anything else.
    const id = `i-${index.toString(16).padStart(8, '0')}${i.toString(16).padStart(4, '0')}`;
    specs.set(id, s);
    return node(id, p, s.option as PurchaseOption, {
      managed: s.managed,
      protected: s.protected,
      gpuCount: s.noGpus ? 0 : p.gpusPerInstance,
      runningJobs: s.schedulerJob ? [`slurm-${i}`] : [],
      ...(s.recentLogin ? { lastLoginAt: toRfc3339(NOW - 10 * MIN) } : {}),
      // Marked long ago, so a reclaim run may release it at once if nothing else holds it.
      mark: { markedAt: toRfc3339(NOW - 120 * MIN), reason: 'idle' },
    });
  });
  const store = createMemoryStore();
  await store.classes.put(workload('batch', { spotShare: spec.spotShare }));
  await store.forecasts.put(forecast(spec.demandInstances * 8));
  for (const n of nodes) await store.nodes.put(n);
  const clock = manualClock(NOW);
  const report = async (atMs: number) => {
    for (const n of nodes) {
      const s = specs.get(n.nodeId)!;
      if (!s.readings) continue;
      await store.rollups.put(
        windows(
          n,
          atMs,
          6,
          { utilizationPct: 0 },
          s.readingsJob ? { jobs: [{ jobId: 'job-7', gpuSeconds: 0 }] } : {},
        ),
      );
    }
  };
  await report(NOW);

  const capacity: Record<string, number> = {};
  for (const c of spec.capacity)
    capacity[poolOptionKey(POOLS[c.pool]!.id, c.option)] =
      c.instances +
      nodes.filter((n) => n.poolId === POOLS[c.pool]!.id && n.purchaseOption === c.option && isLive(n))
        .length;
  const cloud = createMemoryCapacityProvider({
    pools: POOLS,
    prices: PRICES,
    nodes,
    capacity,
    clock,
    nodeId: (n) => `i-${index.toString(16).padStart(8, '0')}${(0xf000 + n).toString(16)}`,
  });
  const released: string[] = [];
  const provider: MemoryCapacityProvider = {
    ...cloud,
    async release(request) {
      const outcome = await cloud.release(request);
      released.push(...outcome.released);
      return outcome;
    },
  };
  const ports = {
    store,
    prices: createMemoryPriceSource(PRICES),
    providers: [provider],
    events: createMemoryEventSink(),
    clock,
  };
  const unsafe: string[] = [];
  const stranded: string[] = [];
  const demandGpus = spec.demandInstances * 8;
  const check = async (run: string, heldBefore: number) => {
    exercised.releases += released.length;
    const ids = released.splice(0);
    for (const id of ids) {
      const s = specs.get(id);
      const why = s && unsafeToRelease(s);
      if (why) unsafe.push(`${run} released ${id} (${why})`);
    }
    const served = await servingGpus(provider);
    if (served < Math.min(demandGpus, heldBefore))
      stranded.push(
        `${run}: ${served} GPUs serving, below min(demand ${demandGpus}, held ${heldBefore}) after releasing ${ids.join(', ') || 'nothing'}`,
      );
  };

  const beforeOptimize = await servingGpus(provider);
  const optimized = await runOptimize(ports, {
    mode: 'enforce',
    horizonHours: 1,
    hourAhead: { enabled: false },
    maxActionsPerRun: 20,
  });
  if (optimized.error && !/demand_/.test(optimized.error)) throw new Error(`optimize: ${optimized.error}`);
  for (const a of optimized.actions) {
    if (a.kind === 'launch' && a.status !== 'recommended' && a.nodeIds.length < (a.count ?? 0))
      exercised.launchesShort++;
    if (a.actionId.includes(':fallback:')) exercised.fallbacks++;
    if (a.status === 'refused') exercised.refusals++;
  }
  await check('optimize', beforeOptimize);
  await syncStore(store, provider);

  if (spec.interruptSpot) {
    const victim = (await provider.nodes()).find((n) => n.purchaseOption === 'spot' && n.state === 'running');
    if (victim) {
      const before = await servingGpus(provider);
      await runInterruption(
        ports,
        {
          'detail-type': 'EC2 Spot Instance Interruption Warning',
          source: 'aws.ec2',
          time: toRfc3339(clock.now()),
          detail: { 'instance-id': victim.nodeId, 'instance-action': 'terminate' },
        },
        { mode: 'enforce' },
      );
      provider.interrupt(victim.nodeId);
      await syncStore(store, provider);
      // The interruption takes the victim; the run may only add. Served below held less the victim is stranding.
      await check('interruption', Math.max(0, before - victim.gpuCount));
    }
  }

  clock.advance(5 * MIN);
  await report(clock.now());
  const beforeReclaim = await servingGpus(provider);
  await runReclaim(
    { ...ports, log: () => {} },
    { policy: { mode: 'enforce', maxReleasesPerRun: 10, maxPoolReleasePct: 100 } },
  );
  await check('reclaim', beforeReclaim);
  return { unsafe, stranded };
}

/** Runs `cases` random cases from `seed`; the counts are what `bench:chaos` reports. */
export async function runFleetActionChaos(options: FleetActionChaosOptions): Promise<FleetActionChaosCounts> {
  const counts: FleetActionChaosCounts = {
    cases: 0,
    failures: 0,
    unsafeReleases: 0,
    strandedCapacityEvents: 0,
    exercised: { releases: 0, launchesShort: 0, fallbacks: 0, refusals: 0 },
    examples: [],
  };
  const specs = fc.sample(arbCase, { numRuns: options.cases, seed: options.seed });
  for (const [i, spec] of specs.entries()) {
    counts.cases++;
    try {
      const { unsafe, stranded } = await runCase(spec, i, counts.exercised);
      counts.unsafeReleases += unsafe.length;
      counts.strandedCapacityEvents += stranded.length;
      if (unsafe.length + stranded.length > 0) {
        counts.failures++;
        if (counts.examples.length < 3)
          counts.examples.push(`case ${i} ${JSON.stringify(spec)}: ${[...unsafe, ...stranded].join('; ')}`);
      }
    } catch (error) {
      counts.failures++;
      if (counts.examples.length < 3)
        counts.examples.push(`case ${i} ${JSON.stringify(spec)}: threw ${(error as Error).message}`);
    }
  }
  return counts;
}
