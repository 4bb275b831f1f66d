// The system replay end to end on a slice of the Philly trace: the real runs over DynamoDB (dynalite), a simulated cloud and clock.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../lib/cli/main.ts';
import { avoidedCostUsd } from '../../lib/domain/ledger.ts';
import { sumUsd } from '../../lib/domain/money.ts';
import type { Store } from '../../lib/domain/ports.ts';
import { HOUR_MS, toRfc3339 } from '../../lib/domain/time.ts';
import { buildScenario } from '../../lib/sim/build-scenario.ts';
import type { SimulationSummary } from '../../lib/sim/output/summary.ts';
import type { Scenario } from '../../lib/sim/scenario.ts';
import { replaySystem, type SystemReplayResult } from '../../lib/sim/system/replay.ts';
import { resolveTrace } from '../../lib/sim/traces.ts';
import { captureIo } from '../support/cli.ts';
import { freshDynamoStore } from '../support/dynamo.ts';

// Hours of the Philly trace where the spot market takes capacity back (the bundled availability trace dips).
const FROM = Date.parse('2017-11-08T00:00:00Z');
const HISTORY_HOURS = 5 * 24;
const HOURS = 4;

describe('the system replay on a slice of the Philly trace', () => {
  let scenario: Scenario;
  let result: SystemReplayResult;
  let store: Store;

  beforeAll(async () => {
    scenario = await buildScenario(resolveTrace('philly'), {
      fromMs: FROM - HISTORY_HOURS * HOUR_MS,
      toMs: FROM + HOURS * HOUR_MS,
      warmupHours: HISTORY_HOURS,
    });
    store = (await freshDynamoStore()).store;
    const spotPool = scenario.pools.find((p) => p.usdPerHour.spot !== undefined)!;
    const onDemandPool = scenario.pools[0]!;
    result = await replaySystem(scenario, {
      fromHour: HISTORY_HOURS,
      hours: HOURS,
      store,
      historyDays: 5,
      reservedInstances: { [onDemandPool.pool.id]: 20 },
      // More spot than the market holds, so the first hour brings interruptions.
      initialFleet: [
        { poolId: spotPool.pool.id, option: 'spot', instances: 400 },
        { poolId: onDemandPool.pool.id, option: 'on-demand', instances: 60 },
      ],
    });
  }, 240_000);

  it('runs every hour through the real runs, and ingest takes every event', () => {
    expect(result.hours).toHaveLength(HOURS);
    expect(result.ingest.failed).toBe(0);
    expect(result.ingest.records).toBeGreaterThan(HOURS * 100 * 12);
    expect(result.events['Capacity Plan Created']).toBe(HOURS);
    expect(result.events['Capacity Snapshot']).toBe(HOURS);
    for (const run of ['ingest', 'forecast', 'optimize', 'reclaim', 'attribute', 'poll-connectors'])
      expect(result.runs.map((r) => r.run)).toContain(run);
  });

  it('takes over as a running deployment: a forecast issued every hour of the day before, so the first plan is calibrated', async () => {
    const classId = scenario.classes[0]!.workload.id;
    const before = await store.forecasts.between(classId, FROM - 24 * HOUR_MS, FROM);
    expect(before).toHaveLength(24);
    expect(result.runs.find((r) => r.run === 'forecast warm-up')?.calls).toBe(24);
    expect(before.map((f) => f.issuedAt)).toContain(toRfc3339(FROM - HOUR_MS));
  });

  it('serves all demand: what the fleet could not take was filled late, and counted', () => {
    const demand = scenario.classes.reduce(
      (a, c) => a + c.demandGpus.slice(HISTORY_HOURS, HISTORY_HOURS + HOURS).reduce((x, y) => x + y, 0),
      0,
    );
    // Lost work re-runs on top of the trace's demand.
    expect(result.servedGpuHours).toBeCloseTo(demand + result.lostGpuHours, 6);
    for (const h of result.hours) expect(h.lateGpus).toBeGreaterThanOrEqual(0);
  });

  it('attribution reconciles with the simulated cloud bill in every hour, to the micro-dollar', async () => {
    expect(result.mismatchedHours).toEqual([]);
    for (const h of result.hours) {
      expect(h.billUsd).toBeGreaterThan(0n);
      const rows = await store.attribution.between(h.hourStartMs, h.hourStartMs + HOUR_MS);
      expect(sumUsd(rows.map((r) => r.EffectiveCost))).toBe(h.billUsd);
    }
    expect(sumUsd(result.hours.map((h) => h.billUsd))).toBe(result.costUsd);
  });

  it('handles the spot interruptions the market brings: each notice is answered with a replacement', () => {
    expect(result.interruptions).toBeGreaterThan(0);
    expect(result.refusedInstances).toBeGreaterThanOrEqual(0);
    // The first hour's notices are for nodes the system has not heard of yet; later ones are handled.
    expect(result.events['Spot Interruption Handled'] ?? 0).toBeLessThanOrEqual(result.interruptions);
  });

  it('puts every saving of the ledger in the weekly report', async () => {
    const entries = await store.ledger.between(result.fromMs, result.toMs);
    const done = sumUsd(entries.filter((e) => e.status === 'done').map(avoidedCostUsd));
    expect(result.report.report.savingsDoneUsd).toBe(done);
    expect(result.reclaimed).toBe(entries.filter((e) => e.lever === 'reclaim' && e.status === 'done').length);
  });
});

describe('gpu-optimizer simulate --system-hours', () => {
  let out: string;
  let summary: SimulationSummary;
  let stdout: string;
  let exitCode: number;

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'gpu-optimizer-system-'));
    const io = captureIo();
    exitCode = await runCli(
      [
        'simulate',
        '--from',
        '2017-11-06',
        '--to',
        '2017-11-10',
        '--warmup-days',
        '2',
        '--policies',
        'optimizer,oracle',
        '--system-hours',
        '2',
        '--out',
        out,
      ],
      io,
    );
    stdout = io.out;
    summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')) as SimulationSummary;
  }, 240_000);

  it('replays the last hours through the real runs and says how they compare with the fast model', async () => {
    expect(exitCode).toBe(0);
    const system = summary.system!;
    expect(system.hours).toBe(2);
    expect(system.to).toBe('2017-11-10T00:00:00Z');
    expect(system.reconciled).toBe(true);
    expect(system.ingest.failed).toBe(0);
    expect(system.fastModel).not.toBeNull();
    expect(system.ratioToOracle).toBeGreaterThan(0);
    expect(stdout).toContain('Through the real runs on the embedded DynamoDB');
    const report = await readFile(join(out, 'system-report.html'), 'utf8');
    expect(report).toContain(system.reportSubject.split(':')[0]!);
    const html = await readFile(join(out, 'report.html'), 'utf8');
    expect(html).toContain('Through the real runs');
  });

  it('refuses --system-hours without the optimizer', async () => {
    const io = captureIo();
    const code = await runCli(['simulate', '--policies', 'oracle', '--system-hours', '3'], io);
    expect(code).toBe(2);
    expect(io.err).toContain('--system-hours');
  });
});
