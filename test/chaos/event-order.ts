// Chaos driver: one fleet's events (agent batches, Capacity Snapshots, EC2 state changes and notices) delivered
// in random orders and batchings must give the same nodes and the same attribution to the micro-dollar.
import fc from 'fast-check';
import { attributionCsv } from '../../lib/attribution/export.ts';
import type { FleetNode } from '../../lib/domain/fleet.ts';
import { parseUsd } from '../../lib/domain/money.ts';
import type { PurchaseOption } from '../../lib/domain/pool.ts';
import type { PriceQuote } from '../../lib/domain/price.ts';
import { toRfc3339 } from '../../lib/domain/time.ts';
import { memoryLogger } from '../../lib/ingest/logger.ts';
import { fixedClock } from '../../lib/memory/clock.ts';
import { createMemoryStore } from '../../lib/memory/store.ts';
import { runAttribute } from '../../lib/runs/attribute.ts';
import { ingest, type IngestRecord } from '../../lib/runs/ingest.ts';
import { agentBatch, batchEvent, snapshotEvent, stateChange } from '../ingest/fixtures.ts';

export const HOUR_START_MS = Date.UTC(2026, 2, 2, 10);
const POOL = 'aws:us-east-1:us-east-1a:p4d.24xlarge';
/** The ingest clock: after every event of the hour, so none is refused as dated ahead of it. */
const CLOCK_MS = HOUR_START_MS + 70 * 60_000;

export const PRICES: PriceQuote[] = (
  [
    ['spot', '9.830000'],
    ['on-demand', '32.772600'],
  ] as const
).map(([option, usd]) => ({
  poolId: POOL,
  option,
  usdPerHour: parseUsd(usd),
  asOf: '2026-03-01T00:00:00Z',
  source: 'catalog',
  modelled: false,
}));

/** What is true of one node over the hour; its events are derived from it. */
export interface NodeTruth {
  nodeId: string;
  option: PurchaseOption;
  managed: boolean;
  /** Windows (0–11) the agent reported, each with the jobs on the GPU. */
  windows: { index: number; jobs: readonly string[] }[];
  /** Seconds into the hour EC2 terminated it; undefined when it ran on. */
  terminatedAtS?: number | undefined;
  /** A `stopping` a few seconds before the termination (EC2 sends shutting-down, then terminated). */
  shuttingDownBeforeS?: number | undefined;
  /** Seconds into the hour of a spot interruption notice. */
  noticeAtS?: number | undefined;
}

export interface FleetScenario {
  nodes: NodeTruth[];
  /** Minutes into the hour a connector listed the fleet; each listing gives its own team label. */
  snapshots: { minute: number; teams: string[] }[];
}

const at = (seconds: number) => toRfc3339(HOUR_START_MS + seconds * 1000);

/** A node as the EC2 connector lists it at a time: state as of then, no jobs (it cannot see them). */
function listed(truth: NodeTruth, takenAtS: number, team: string): FleetNode {
  const gone = truth.terminatedAtS !== undefined && truth.terminatedAtS <= takenAtS;
  return {
    nodeId: truth.nodeId,
    provider: 'aws',
    poolId: POOL,
    region: 'us-east-1',
    zone: 'us-east-1a',
    instanceType: 'p4d.24xlarge',
    purchaseOption: truth.option,
    state: gone ? 'terminated' : 'running',
    gpuModel: 'NVIDIA A100-SXM4-40GB',
    gpuCount: 1,
    launchedAt: toRfc3339(HOUR_START_MS - 3_600_000),
    labels: { team },
    managed: truth.managed,
    protected: false,
    lastSeenAt: at(takenAtS),
    runningJobs: [],
  };
}

/** Every event of the scenario, as the queue delivers them (each record its own message). */
export function scenarioEvents(scenario: FleetScenario): unknown[] {
  const events: unknown[] = [];
  for (const truth of scenario.nodes) {
    for (const w of truth.windows) {
      events.push(batchEvent(agentBatch(truth.nodeId, at(w.index * 300), { jobs: w.jobs })));
    }
    if (truth.terminatedAtS !== undefined) {
      events.push(stateChange(truth.nodeId, 'terminated', at(truth.terminatedAtS)));
      if (truth.shuttingDownBeforeS !== undefined)
        events.push(
          stateChange(truth.nodeId, 'shutting-down', at(truth.terminatedAtS - truth.shuttingDownBeforeS)),
        );
    }
    if (truth.noticeAtS !== undefined) {
      const notice = stateChange(truth.nodeId, 'running', at(truth.noticeAtS));
      events.push({
        ...notice,
        id: `notice-${truth.nodeId}`,
        'detail-type': 'EC2 Spot Instance Interruption Warning',
        detail: { 'instance-id': truth.nodeId, 'instance-action': 'terminate' },
      });
    }
  }
  for (const snap of scenario.snapshots) {
    const takenAtS = snap.minute * 60;
    events.push(
      snapshotEvent(
        {
          schemaVersion: '1',
          connector: 'aws-ec2',
          takenAt: at(takenAtS),
          pools: [],
          nodes: scenario.nodes.map((n, i) => listed(n, takenAtS, snap.teams[i] ?? 'llm')),
          demand: [],
        },
        `snap-${snap.minute}`,
      ),
    );
  }
  return events;
}

const nodeTruth = (nodeId: string): fc.Arbitrary<NodeTruth> =>
  fc
    .record({
      option: fc.constantFrom<PurchaseOption>('spot', 'on-demand'),
      managed: fc.boolean(),
      windows: fc.uniqueArray(
        fc.record({
          index: fc.integer({ min: 0, max: 11 }),
          jobs: fc.constantFrom([], ['job-1'], ['job-2'], ['job-1', 'job-2']),
        }),
        { selector: (w) => w.index, minLength: 0, maxLength: 6 },
      ),
      terminatedAtS: fc.option(fc.integer({ min: 60, max: 3_599 }), { nil: undefined }),
      shuttingDownBeforeS: fc.option(fc.integer({ min: 1, max: 30 }), { nil: undefined }),
      noticeAtS: fc.option(fc.integer({ min: 0, max: 3_599 }), { nil: undefined }),
    })
    .map((t) => ({
      nodeId,
      ...t,
      // The agent reports only windows it lived through to the end.
      windows: t.windows.filter(
        (w) => t.terminatedAtS === undefined || (w.index + 1) * 300 <= t.terminatedAtS,
      ),
    }));

export const fleetScenario: fc.Arbitrary<FleetScenario> = fc.integer({ min: 1, max: 3 }).chain((count) =>
  fc.record({
    nodes: fc.tuple(...Array.from({ length: count }, (_, i) => nodeTruth(`i-0${String(i + 1).repeat(16)}`))),
    snapshots: fc.uniqueArray(
      fc.record({
        minute: fc.integer({ min: 0, max: 59 }),
        teams: fc.array(fc.constantFrom('llm', 'vision'), { minLength: count, maxLength: count }),
      }),
      { selector: (s) => s.minute, maxLength: 3 },
    ),
  }),
);

/** A seeded shuffle and split into queue batches of 1–4 records, with some records delivered twice. */
function deliveries(events: readonly unknown[], seed: number): IngestRecord[][] {
  let state = seed >>> 0 || 1;
  const random = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  const records = events.map((e, i) => ({ messageId: `m${i}`, body: JSON.stringify(e) }));
  const redelivered = records.filter(() => random() < 0.2);
  const all = [...records, ...redelivered];
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  const batches: IngestRecord[][] = [];
  for (let i = 0; i < all.length;) {
    const size = 1 + Math.floor(random() * 4);
    batches.push(all.slice(i, i + size));
    i += size;
  }
  return batches;
}

export interface Outcome {
  nodes: FleetNode[];
  csv: string;
  fleetCostUsd: bigint;
  failedRecords: number;
}

/** Ingests the deliveries in turn on a fresh memory store, then attributes the hour with the real run. */
export async function deliver(batches: readonly IngestRecord[][]): Promise<Outcome> {
  const store = createMemoryStore();
  await store.prices.put(PRICES);
  const clock = fixedClock(CLOCK_MS);
  let failedRecords = 0;
  for (const records of batches) {
    const result = await ingest(records, { store, clock, logger: memoryLogger() });
    failedRecords += result.batchItemFailures.length;
  }
  const hour = await runAttribute({ store, clock, log: () => {} }, { hourStartMs: HOUR_START_MS });
  return {
    nodes: await store.nodes.list(),
    csv: attributionCsv(hour.rows),
    fleetCostUsd: hour.fleetCostUsd,
    failedRecords,
  };
}

/** What must hold of the outcome whatever the order: the truth, not only agreement between orders. */
export function truthViolations(scenario: FleetScenario, outcome: Outcome): string[] {
  const problems: string[] = [];
  if (outcome.failedRecords > 0) problems.push(`${outcome.failedRecords} valid records failed`);
  for (const truth of scenario.nodes) {
    const node = outcome.nodes.find((n) => n.nodeId === truth.nodeId);
    const reported = truth.windows.length > 0 || scenario.snapshots.length > 0;
    if (!node) {
      if (reported) problems.push(`${truth.nodeId}: missing`);
      continue;
    }
    if (truth.terminatedAtS !== undefined && node.state !== 'terminated')
      problems.push(`${truth.nodeId}: terminated at ${at(truth.terminatedAtS)} but stored ${node.state}`);
    if (truth.terminatedAtS === undefined && node.state !== 'running')
      problems.push(`${truth.nodeId}: runs but stored ${node.state}`);
    if (scenario.snapshots.length > 0 && node.purchaseOption !== truth.option)
      problems.push(`${truth.nodeId}: bought ${truth.option} but stored ${node.purchaseOption}`);
    if (scenario.snapshots.length > 0 && node.managed !== truth.managed)
      problems.push(`${truth.nodeId}: managed ${truth.managed} but stored ${node.managed}`);
    const last = [...truth.windows].sort((a, b) => a.index - b.index).at(-1);
    if (last && JSON.stringify(node.runningJobs) !== JSON.stringify([...last.jobs].sort()))
      problems.push(`${truth.nodeId}: last batch ran ${last.jobs} but stored ${node.runningJobs}`);
  }
  return problems;
}

export interface EventOrderChaosCounts {
  cases: number;
  failures: number;
  /** The first few failures, each with its scenario, to reproduce. */
  examples: string[];
}

/**
 * Draws `cases` fleets; for each, delivers its events in three random orders and batchings (with
 * redeliveries). A case fails when the orders disagree on any node or on the attribution CSV, or when an
 * outcome contradicts the scenario (a terminated node stored live, a spot node stored on-demand, stale jobs).
 */
export async function runEventOrderChaos({
  cases,
  seed,
}: {
  cases: number;
  seed: number;
}): Promise<EventOrderChaosCounts> {
  const drawn = fc.sample(fc.tuple(fleetScenario, fc.array(fc.integer(), { minLength: 3, maxLength: 3 })), {
    numRuns: cases,
    seed,
  });
  let failures = 0;
  const examples: string[] = [];
  for (const [scenario, orderSeeds] of drawn) {
    const events = scenarioEvents(scenario);
    const outcomes = [];
    for (const orderSeed of orderSeeds) outcomes.push(await deliver(deliveries(events, orderSeed)));
    const problems = truthViolations(scenario, outcomes[0]!);
    for (const other of outcomes.slice(1)) {
      if (JSON.stringify(other.nodes) !== JSON.stringify(outcomes[0]!.nodes))
        problems.push('node state differs between delivery orders');
      if (other.csv !== outcomes[0]!.csv || other.fleetCostUsd !== outcomes[0]!.fleetCostUsd)
        problems.push('attribution differs between delivery orders');
    }
    if (problems.length > 0) {
      failures++;
      if (examples.length < 3) examples.push(`${problems.join('; ')} in ${JSON.stringify(scenario)}`);
    }
  }
  return { cases: drawn.length, failures, examples };
}
