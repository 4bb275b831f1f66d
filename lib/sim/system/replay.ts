// The system replay: the real runs (ingest, interruption, forecast, optimize, reclaim, attribute, report) over the embedded DynamoDB, on a simulated clock and cloud.
import { ReconciliationError, runAttribute } from '../../runs/attribute.ts';
import { runForecast } from '../../runs/forecast.ts';
import { ingest, type IngestRecord } from '../../runs/ingest.ts';
import { runInterruption } from '../../runs/interruption.ts';
import { runOptimize, zOptimizeConfig } from '../../runs/optimize.ts';
import { runPollConnectors } from '../../runs/poll-connectors.ts';
import { runReclaim } from '../../runs/reclaim.ts';
import { composeReport, type RenderedReport } from '../../runs/report.ts';
import { toWire, type DomainEvent } from '../../domain/events.ts';
import type { FleetNode } from '../../domain/fleet.ts';
import { costForSeconds, sumUsd } from '../../domain/money.ts';
import type { PurchaseOption } from '../../domain/pool.ts';
import type { Store } from '../../domain/ports.ts';
import { HOUR_MS, toRfc3339 } from '../../domain/time.ts';
import type { Logger } from '../../domain/ports.ts';
import { manualClock } from '../../memory/clock.ts';
import { createMemoryEventSink } from '../../memory/event-sink.ts';
import { createMemoryPriceSource } from '../../memory/price-source.ts';
import { startEmbeddedDynamo } from '../../store/embedded.ts';
import { lateFillPool } from '../serve.ts';
import type { Scenario } from '../scenario.ts';
import { agentBatches, bootWaitGpuHours, placeDemand, type HourPlacement } from './agent.ts';
import { createSimulatedCloud, type SimulatedCloud } from './cloud.ts';
import { replayRunOptions, simulatedDeployment, type DeploymentOverrides } from './deployment.ts';

export interface SystemReplayOptions {
  /** First hour (scenario index) the system runs and is billed for; earlier hours are its history. */
  fromHour: number;
  hours: number;
  /** Reserved instances per pool, bought before the replay starts (the optimizer's commitment). */
  reservedInstances?: Record<string, number>;
  /**
   * The fleet running when the system takes over (instances per pool and option, reserved excluded), so the
   * replay starts warm instead of launching everything in its first hour.
   */
  initialFleet?: readonly { poolId: string; option: PurchaseOption; instances: number }[];
  /** Days of history the forecast run reads (it is seeded from the trace before the first hour). */
  historyDays?: number;
  /**
   * Sections of the simulated deployment's config (as in a config file); every run's options come from it
   * through the run catalogue, with the catalogue's defaults for what is left out.
   */
  deployment?: DeploymentOverrides;
  /**
   * Hours before the first one that the forecast run is run over, from the seeded history, so the store holds
   * the forecasts a deployment that has been running keeps (the optimize run scores the first hour's plan
   * against them). Default: the hour-ahead plan's minimum samples (fewer and its margin is not calibrated).
   */
  forecastWarmupHours?: number;
  onHour?: (done: number, of: number) => void;
  onWarmup?: (done: number, of: number) => void;
  /** A store to run on instead of a fresh embedded DynamoDB (tests, benches). */
  store?: Store;
}

export interface SystemHour {
  hourStartMs: number;
  demandGpus: number;
  lateGpus: number;
  billUsd: bigint;
  attributedUsd: bigint;
  liveNodes: number;
  /** Nodes launched and released this hour by the runs (late capacity aside), and spot nodes interrupted. */
  launched: number;
  released: number;
  interrupted: number;
}

export interface RunTiming {
  run: string;
  calls: number;
  seconds: number;
}

export interface SystemReplayResult {
  fromMs: number;
  toMs: number;
  hours: SystemHour[];
  costUsd: bigint;
  servedGpuHours: number;
  /** Shortfall filled late by on-demand capacity, plus work that waited for booting nodes. */
  lateGpuHours: number;
  idleGpuHours: number;
  interruptions: number;
  lostGpuHours: number;
  /** Nodes launched (optimize, interruption) and released (optimize, reclaim) by the runs; late capacity aside. */
  launches: number;
  releases: number;
  /** Nodes the reclaim run released as idle. */
  reclaimed: number;
  /** Instances the cloud refused for want of spot capacity. */
  refusedInstances: number;
  /** Hours whose attribution rows do not sum to the cloud's bill (empty when everything reconciles). */
  mismatchedHours: string[];
  /** Events the runs put on the bus, by detail-type. */
  events: Record<string, number>;
  ingest: { records: number; failed: number; firstErrors: string[] };
  runs: RunTiming[];
  report: RenderedReport;
  seconds: number;
}

const quietLog = () => {};
/** Keeps the first errors ingest logs, so a replay that lost records can say why. */
function errorKeepingLogger(errors: string[], keep = 5): Logger {
  return {
    log(level, message, fields) {
      if (level === 'error' && errors.length < keep) errors.push(`${message}: ${JSON.stringify(fields)}`);
    },
  };
}
const EC2_STATE_CHANGE = 'EC2 Instance State-change Notification';
const EC2_SPOT_WARNING = 'EC2 Spot Instance Interruption Warning';

/** EventBridge's envelope around an event, as the ingest queue receives it. */
function envelope(
  id: string,
  detailType: string,
  source: string,
  time: string,
  detail: unknown,
  region: string,
) {
  return {
    version: '0',
    id,
    'detail-type': detailType,
    source,
    account: '000000000000',
    time,
    region,
    detail,
  };
}

export async function replaySystem(
  scenario: Scenario,
  options: SystemReplayOptions,
): Promise<SystemReplayResult> {
  const started = performance.now();
  const embedded = options.store ? undefined : await startEmbeddedDynamo();
  const store = options.store ?? embedded!.store;
  try {
    return await replay(scenario, options, store, started);
  } finally {
    await embedded?.close();
  }
}

async function replay(
  scenario: Scenario,
  options: SystemReplayOptions,
  store: Store,
  started: number,
): Promise<SystemReplayResult> {
  const fromMs = scenario.startMs + options.fromHour * HOUR_MS;
  const lastHour = Math.min(scenario.hours, options.fromHour + options.hours);
  const deployment = simulatedDeployment(scenario, {
    ...options.deployment,
    forecast: {
      ...(options.historyDays !== undefined ? { historyDays: options.historyDays } : {}),
      ...options.deployment?.forecast,
    },
  });
  const runOptions = replayRunOptions(deployment);
  // Simulated agents never deliver late, so only the hour just closed needs reading from rollups.
  const forecastOptions = { ...runOptions.forecast, recomputeHours: 1 };
  // A deployment that has been running has issued a forecast every hour: without them, the first hours'
  // plans could not be calibrated on past misses, which no running deployment lacks.
  const warmupHours = Math.min(
    options.forecastWarmupHours ?? zOptimizeConfig.parse(runOptions.optimize).hourAhead.minSamples,
    options.fromHour,
    runOptions.forecast.historyDays * 24,
  );
  // The fleet that is already there was launched before the first hour: it has booted when the replay starts.
  const clock = manualClock(fromMs - Math.max(1, warmupHours) * HOUR_MS);
  const bus = createMemoryEventSink();
  const region = scenario.pools[0]?.pool.region ?? 'us-east-1';
  const timings = new Map<string, RunTiming>();
  const timed = async <T>(run: string, f: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await f();
    } finally {
      const t = timings.get(run) ?? { run, calls: 0, seconds: 0 };
      t.calls++;
      t.seconds += (performance.now() - t0) / 1000;
      timings.set(run, t);
    }
  };

  // What the ingest queue holds until the hour's batch is delivered.
  let queue: IngestRecord[] = [];
  let sequence = 0;
  const enqueue = (body: unknown) => queue.push({ messageId: `m-${++sequence}`, body: JSON.stringify(body) });
  const eventCounts: Record<string, number> = {};
  bus.subscribe((event: DomainEvent) => {
    eventCounts[event.detailType] = (eventCounts[event.detailType] ?? 0) + 1;
    // The rule of the stack: fleet facts go to the ingest queue.
    if (event.detailType === 'Capacity Snapshot' || event.detailType === 'GPU Utilization Batch') {
      const wire = toWire(event);
      enqueue(
        envelope(
          `evt-${++sequence}`,
          wire.detailType,
          wire.source,
          wire.time ?? toRfc3339(clock.now()),
          wire.detail,
          region,
        ),
      );
    }
  });
  const stateChange = (nodeId: string, state: string) =>
    enqueue(
      envelope(
        `ec2-${++sequence}`,
        EC2_STATE_CHANGE,
        'aws.ec2',
        toRfc3339(clock.now()),
        { 'instance-id': nodeId, state },
        region,
      ),
    );

  const cloud: SimulatedCloud = createSimulatedCloud(scenario, clock);
  const prices = createMemoryPriceSource(cloud.quotes);
  const runPorts = { store, events: bus, clock, log: quietLog };
  const optimizePorts = { ...runPorts, prices, providers: [cloud] };
  let ingested = 0;
  let ingestFailed = 0;
  const ingestErrors: string[] = [];
  const ingestLogger = errorKeepingLogger(ingestErrors);
  const deliver = async () => {
    if (queue.length === 0) return;
    const records = queue;
    queue = [];
    const outcome = await timed('ingest', () => ingest(records, { store, clock, logger: ingestLogger }));
    ingested += records.length;
    ingestFailed += outcome.batchItemFailures.length;
  };

  // What the deployment knows before its first hour: classes, prices, the demand history of the trace.
  for (const c of scenario.classes) await store.classes.put(c.workload);
  await store.prices.put(cloud.quotes);
  const historyHours = runOptions.forecast.historyDays * 24;
  const seedFrom = Math.max(0, options.fromHour - historyHours);
  await store.demand.put(
    scenario.classes.flatMap((c) =>
      c.demandGpus.slice(seedFrom, options.fromHour).map((gpus, i) => ({
        classId: c.workload.id,
        hourStartMs: scenario.startMs + (seedFrom + i) * HOUR_MS,
        gpus,
      })),
    ),
  );
  for (let h = options.fromHour - warmupHours; h < options.fromHour; h++) {
    clock.set(scenario.startMs + h * HOUR_MS);
    await timed('forecast warm-up', () => runForecast(runPorts, forecastOptions));
    options.onWarmup?.(h - options.fromHour + warmupHours + 1, warmupHours);
  }
  clock.set(fromMs - HOUR_MS);
  const reserved = options.reservedInstances ?? {};
  for (const [poolId, count] of Object.entries(reserved)) {
    if (count > 0) await cloud.launch({ poolId, option: 'reserved', count });
  }
  for (const f of options.initialFleet ?? []) {
    if (f.option === 'reserved' || f.instances <= 0) continue;
    await cloud.launch({ poolId: f.poolId, option: f.option, count: f.instances });
  }

  const result: Omit<SystemReplayResult, 'report' | 'seconds' | 'runs' | 'events' | 'ingest' | 'toMs'> = {
    fromMs,
    hours: [],
    costUsd: 0n,
    servedGpuHours: 0,
    lateGpuHours: 0,
    idleGpuHours: 0,
    interruptions: 0,
    lostGpuHours: 0,
    launches: 0,
    releases: 0,
    reclaimed: 0,
    refusedInstances: 0,
    mismatchedHours: [],
  };
  const classById = new Map(scenario.classes.map((c) => [c.workload.id, c]));
  const checkpointHours =
    Math.min(...scenario.classes.map((c) => c.workload.checkpointIntervalMinutes), 60 * 24) / 60;
  let lastPlacement: HourPlacement | undefined;
  let lateNodes: string[] = [];
  let carried = new Map<string, number>();
  let pending: Omit<SystemHour, 'billUsd' | 'attributedUsd'> | undefined;

  const closeHour = async () => {
    if (!pending) return;
    const hourStartMs = pending.hourStartMs;
    const billUsd = sumUsd(cloud.bill(hourStartMs).map((l) => costForSeconds(l.usdPerHour, l.seconds)));
    let attributedUsd = 0n;
    try {
      const hour = await timed('attribute', () => runAttribute(runPorts, { hourStartMs }));
      attributedUsd = hour.fleetCostUsd;
    } catch (error) {
      if (!(error instanceof ReconciliationError)) throw error;
      attributedUsd = -1n;
    }
    if (attributedUsd !== billUsd) result.mismatchedHours.push(toRfc3339(hourStartMs));
    result.costUsd += billUsd;
    result.hours.push({ ...pending, billUsd, attributedUsd });
    pending = undefined;
  };

  for (let h = options.fromHour; h < lastHour; h++) {
    const hourStartMs = scenario.startMs + h * HOUR_MS;
    clock.set(hourStartMs);
    const counts = { launched: 0, released: 0, interrupted: 0 };
    // 1. Last hour is over: attribute it while every node that ran in it is still known as running.
    await closeHour();

    // 2. Late capacity bought for last hour's shortfall goes (a cluster autoscaler scaling back down).
    if (lateNodes.length > 0) {
      await cloud.release({ nodeIds: lateNodes, method: 'terminate' });
      for (const id of lateNodes) stateChange(id, 'terminated');
      lateNodes = [];
    }

    // 3. Spot capacity the market takes back: the notice, the interruption run's replacement, the end.
    const before = new Set(cloud.liveNodes().map((n) => n.nodeId));
    cloud.openHour(h);
    for (const victim of cloud.spotOverCapacity(h)) {
      const notice = envelope(
        `spot-${++sequence}`,
        EC2_SPOT_WARNING,
        'aws.ec2',
        toRfc3339(hourStartMs - 120_000),
        { 'instance-id': victim.nodeId, 'instance-action': 'terminate' },
        region,
      );
      enqueue(notice);
      await deliver();
      const handled = await timed('interruption', () =>
        runInterruption(optimizePorts, notice, { mode: 'enforce' }),
      );
      if (handled.handled) counts.launched += handled.replacements.reduce((a, r) => a + r.count, 0);
      cloud.interrupt(victim.nodeId);
      stateChange(victim.nodeId, 'terminated');
      counts.interrupted++;
      // Work since the last checkpoint is lost, half an interval on average, and runs again this hour.
      for (const p of lastPlacement?.byNode.get(victim.nodeId) ?? []) {
        const lost = p.gpus * (checkpointHours / 2);
        result.lostGpuHours += lost;
        carried.set(p.classId, (carried.get(p.classId) ?? 0) + lost);
      }
    }
    await deliver();

    // 4–6. The scheduled runs of the hour.
    await timed('forecast', () => runForecast(runPorts, forecastOptions));
    const optimized = await timed('optimize', () =>
      runOptimize(optimizePorts, { ...runOptions.optimize, reservedInstances: reserved }),
    );
    for (const a of optimized.actions) {
      if (a.status !== 'done') continue;
      if (a.kind === 'launch') counts.launched += a.nodeIds.length;
      else {
        counts.released += a.nodeIds.length;
        for (const id of a.nodeIds) stateChange(id, 'terminated');
      }
    }
    const reclaimed = await timed('reclaim', () =>
      runReclaim(
        { ...runPorts, providers: { [scenario.pools[0]!.pool.provider]: cloud } },
        runOptions.reclaim,
      ),
    );
    for (const r of reclaimed.released) {
      if (r.recommendedOnly) continue;
      result.reclaimed++;
      counts.released++;
      stateChange(r.nodeId, 'terminated');
    }

    // 7. Demand arrives; the scheduler places it; what no node can take is filled late on on-demand.
    const demand = new Map<string, number>();
    for (const c of scenario.classes) {
      const id = c.workload.id;
      demand.set(id, (c.demandGpus[h] ?? 0) + (carried.get(id) ?? 0));
    }
    carried = new Map();
    let placement = placeDemand(scenario, cloud.liveNodes(), demand);
    let lateGpus = 0;
    for (const [classId, short] of placement.shortfall) {
      const fill = lateFillPool(scenario.pools, classById.get(classId)!);
      if (!fill) throw new Error(`no on-demand pool can serve class ${classId}; add one to the scenario`);
      const count = Math.ceil(short / fill.pool.gpusPerInstance);
      const outcome = await cloud.launch({ poolId: fill.pool.id, option: 'on-demand', count });
      lateNodes.push(...outcome.launched.map((n) => n.nodeId));
      lateGpus += short;
    }
    if (lateNodes.length > 0) placement = placeDemand(scenario, cloud.liveNodes(), demand);
    const live = cloud.liveNodes();
    const late = new Set(lateNodes);
    for (const node of live) {
      const placed = placement.byNode.get(node.nodeId) ?? [];
      const boot = bootSecondsOf(scenario, node);
      // Late capacity is counted late whole; other new nodes delay only the work placed on them.
      if (!late.has(node.nodeId) && !before.has(node.nodeId))
        lateGpus += bootWaitGpuHours(node, placed, hourStartMs, boot);
    }

    // 8. The connectors poll and every agent reports its windows; ingest takes the hour's queue.
    await timed('poll-connectors', () => runPollConnectors({ connectors: [cloud], events: bus, clock }));
    for (const node of live) {
      const placed = placement.byNode.get(node.nodeId) ?? [];
      for (const batch of agentBatches(scenario, node, placed, hourStartMs, bootSecondsOf(scenario, node))) {
        enqueue(
          envelope(
            `${batch.bootId}@${batch.windowStart}`,
            'GPU Utilization Batch',
            'gpu-optimizer.agent',
            batch.windowStart,
            batch,
            region,
          ),
        );
      }
    }
    // Each batch is sent as its window ends: ingest refuses facts dated ahead of its clock, so the hour's
    // queue is delivered when the hour is over.
    clock.set(hourStartMs + HOUR_MS);
    await deliver();

    const demandGpus = [...demand.values()].reduce((a, b) => a + b, 0);
    result.servedGpuHours += demandGpus;
    result.lateGpuHours += lateGpus;
    result.idleGpuHours += placement.idleGpus;
    lastPlacement = placement;
    result.launches += counts.launched;
    result.releases += counts.released;
    result.interruptions += counts.interrupted;
    pending = { hourStartMs, demandGpus, lateGpus, liveNodes: live.length, ...counts };
    options.onHour?.(h - options.fromHour + 1, lastHour - options.fromHour);
  }
  const toMs = scenario.startMs + lastHour * HOUR_MS;
  clock.set(toMs);
  await closeHour();
  result.refusedInstances = cloud.refusedInstances;
  const report = await timed('report', () => composeReport({ store, clock }, { weekOfMs: toMs - HOUR_MS }));
  return {
    ...result,
    toMs,
    events: eventCounts,
    ingest: { records: ingested, failed: ingestFailed, firstErrors: ingestErrors },
    runs: [...timings.values()],
    report,
    seconds: (performance.now() - started) / 1000,
  };
}

function bootSecondsOf(scenario: Scenario, node: FleetNode): number {
  const sp = scenario.pools.find((p) => p.pool.id === node.poolId);
  return sp?.pool.bootSeconds ?? scenario.defaultBootSeconds;
}
