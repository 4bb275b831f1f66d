// The table actions each run really sends, against what its function's role allows: a run that starts using a
// new DynamoDB action without the stack granting it would fail in AWS with AccessDenied, and fails here first.
import { EC2Client } from '@aws-sdk/client-ec2';
import { PricingClient } from '@aws-sdk/client-pricing';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { FUNCTION_ACCESS, FUNCTION_NAMES, TABLE_ACTIONS, type FunctionName } from '../../lib/infra/access.ts';
import { memoryLogger } from '../../lib/ingest/logger.ts';
import { manualClock } from '../../lib/memory/clock.ts';
import { createMemoryEventSink } from '../../lib/memory/event-sink.ts';
import type { DeliveryOutcome, SlackTransport } from '../../lib/domain/ports.ts';
import { runAttribute } from '../../lib/runs/attribute.ts';
import { runForecast } from '../../lib/runs/forecast.ts';
import { createMemoryObjectReader, runImportBill } from '../../lib/runs/import-bill.ts';
import { ingest } from '../../lib/runs/ingest.ts';
import { runInterruption } from '../../lib/runs/interruption.ts';
import { runNotify } from '../../lib/runs/notify.ts';
import { runOptimize } from '../../lib/runs/optimize.ts';
import { runReclaim } from '../../lib/runs/reclaim.ts';
import { refreshPrices } from '../../lib/runs/refresh-prices.ts';
import { runReport } from '../../lib/runs/report.ts';
import { syncConfig } from '../../lib/runs/sync-config.ts';
import { createDynamoNotifyState } from '../../lib/store/outbox.ts';
import { RUNS } from '../../lib/system/catalogue.ts';
import { parseDeployConfig } from '../../lib/system/config.ts';
import { fixture, FOCUS_BILL, FOCUS_BILL_DAY, seedListPriceAttribution } from '../bills/fixtures.ts';
import { batchEvent, ec2Fixture, record, stateChange } from '../ingest/fixtures.ts';
import { node as fleetNode, pool } from '../optimizer/builders.ts';
import { answerAwsPrices } from '../pricing/aws-responses.ts';
import { freshDynamoStore } from '../support/dynamo.ts';
import { sampleBatch } from '../support/samples.ts';
import { rollup, workloadClass } from '../forecasting/helpers.ts';

const HOUR = 3_600_000;
const T0 = Date.parse('2024-01-01T00:00:00Z');

/** Records the DynamoDB actions a client sends (`dynamodb:<Operation>`). */
function recordActions(client: { middlewareStack: { add: (...args: never[]) => void } }): Set<string> {
  const seen = new Set<string>();
  const add = client.middlewareStack.add as unknown as (
    mw: (next: (a: unknown) => unknown, ctx: { commandName?: string }) => (a: unknown) => unknown,
    options: { step: string; name: string },
  ) => void;
  add(
    (next, ctx) => (args) => {
      seen.add(`dynamodb:${(ctx.commandName ?? '').replace(/Command$/, '')}`);
      return next(args);
    },
    { step: 'initialize', name: 'recordActions' },
  );
  return seen;
}

const allowed = (name: FunctionName) => new Set(FUNCTION_ACCESS[name].table.map((a) => TABLE_ACTIONS[a]));

const CONFIG = parseDeployConfig({
  ...(JSON.parse(readFileSync('config/example.json', 'utf8')) as object),
  classes: [{ id: 'vision', team: 'vision', minGpuMemoryGiB: 16 }],
});

/** A run on a table holding a little of everything, and the actions it sent, each of which its role must allow. */
async function actionsOf(run: (ports: Awaited<ReturnType<typeof freshDynamoStore>>) => Promise<unknown>) {
  const fresh = await freshDynamoStore();
  await fresh.store.classes.put(workloadClass({ id: 'vision', team: 'vision' }));
  await fresh.store.rollups.put(
    Array.from({ length: 6 }, (_, h) => rollup('n1', T0 + h * HOUR, 1 + (h % 5), 'vision')),
  );
  const sent = recordActions(fresh.client as never);
  await run(fresh);
  return sent;
}

describe("each run's table actions are granted to its function", () => {
  it('forecast: reads demand and rollups, stores forecasts and the demand aggregate', async () => {
    const { store, client } = await freshDynamoStore();
    await store.classes.put(workloadClass({ id: 'vision', team: 'vision' }));
    await store.rollups.put(
      Array.from({ length: 3 * 24 }, (_, h) => rollup('n1', T0 + h * HOUR, 1 + (h % 5), 'vision')),
    );
    const sent = recordActions(client as never);
    const clock = manualClock(T0 + 3 * 24 * HOUR + 60_000);
    const result = await runForecast({ store, events: createMemoryEventSink(), clock }, { horizonHours: 24 });
    expect(result.failed).toEqual([]);
    // The run wrote the aggregate in a batch: the action the role needs for it.
    expect(sent).toContain('dynamodb:BatchWriteItem');
    for (const action of sent) expect(allowed('forecast'), action).toContain(action);
  });

  const clock = manualClock(T0 + 6 * HOUR + 60_000);
  const events = createMemoryEventSink();
  const cases: [FunctionName, (f: Awaited<ReturnType<typeof freshDynamoStore>>) => Promise<unknown>][] = [
    ['syncConfig', ({ store }) => syncConfig({ store }, RUNS.syncConfig.options(CONFIG))],
    [
      'optimize',
      ({ store }) =>
        runOptimize(
          { store, events, clock, providers: [], prices: { quotes: () => store.prices.all() } },
          RUNS.optimize.options(CONFIG),
        ),
    ],
    [
      'reclaim',
      ({ store }) => runReclaim({ store, events, clock, providers: {} }, RUNS.reclaim.options(CONFIG)),
    ],
    [
      'attribute',
      ({ store }) => runAttribute({ store, clock }, { ...RUNS.attribute.options(CONFIG), hourStartMs: T0 }),
    ],
    [
      'report',
      ({ store }) =>
        runReport(
          { store, clock, mailer: { send: async () => ({ messageId: 'm-1' }) } },
          { ...RUNS.report.options(CONFIG), weekOfMs: T0 },
        ),
    ],
  ];
  for (const [name, run] of cases)
    it(`${name}: every table action it sends is granted to its function`, async () => {
      const sent = await actionsOf(run);
      expect(sent.size, name).toBeGreaterThan(0);
      for (const action of sent) expect(allowed(name), `${name} sends ${action}`).toContain(action);
    });
});

describe('the event-driven runs: every table action each sends is granted to its function', () => {
  type Fresh = Awaited<ReturnType<typeof freshDynamoStore>>;
  /** A run on its own table, set up first; then the actions the run itself sent. */
  async function sentBy(setUp: (f: Fresh) => Promise<void>, run: (f: Fresh) => Promise<void>) {
    const fresh = await freshDynamoStore();
    await setUp(fresh);
    const sent = recordActions(fresh.client as never);
    await run(fresh);
    return sent;
  }
  const DAY_MS = 86_400_000;

  const cases: [FunctionName, () => Promise<Set<string>>][] = [
    [
      'ingest',
      () =>
        sentBy(
          async () => {},
          async ({ store }) => {
            // A GPU batch (rollup and node), an EC2 state change of that node, and one of a node not seen yet.
            const base = sampleBatch();
            const batch = { ...base, node: { ...base.node, nodeId: 'i-0abc12345def67890' } };
            const at = Date.parse(batch.windowStart) + 10 * 60_000;
            const result = await ingest(
              [
                record(batchEvent(batch)),
                record(stateChange(batch.node.nodeId, 'stopping', new Date(at).toISOString())),
                record(stateChange('i-0fedcba9876543210', 'running', new Date(at).toISOString())),
              ],
              { store, clock: manualClock(at + 60_000), logger: memoryLogger() },
            );
            expect(result.failures).toEqual([]);
          },
        ),
    ],
    [
      'interruption',
      () => {
        const zoneA = pool('aws:us-east-1:us-east-1a:p4d.24xlarge', { zone: 'us-east-1a' });
        const notice = JSON.parse(ec2Fixture('karpenter-design_spot-itn.json')) as {
          detail: { 'instance-id': string };
        };
        return sentBy(
          async ({ store }) => {
            await store.classes.put(workloadClass({ id: 'vision', team: 'vision' }));
            await store.nodes.put(fleetNode(notice.detail['instance-id'], zoneA, 'spot'));
          },
          async ({ store }) => {
            const result = await runInterruption(
              {
                store,
                events: createMemoryEventSink(),
                clock: manualClock(T0),
                providers: [],
                prices: { quotes: () => store.prices.all() },
              },
              notice,
              RUNS.interruption.options(CONFIG),
            );
            expect(result.handled).toBe(true);
          },
        );
      },
    ],
    [
      'notify',
      () => {
        let slackUp = false;
        const slack: SlackTransport = {
          threads: false,
          send: async (): Promise<DeliveryOutcome> =>
            slackUp
              ? { delivered: true, attempts: 1 }
              : { delivered: false, attempts: 1, error: 'HTTP 503', retryable: true },
        };
        const failed = (error: string) => ({
          source: 'gpu-optimizer.decisions',
          'detail-type': 'Run Failed',
          time: '2024-01-01T10:00:00Z',
          detail: { schemaVersion: '1', run: 'forecast', at: '2024-01-01T10:00:00Z', error },
        });
        return sentBy(
          async () => {},
          async ({ client, tableName }) => {
            const state = createDynamoNotifyState({ client, tableName });
            const log = () => {};
            // Slack down: the message goes to the outbox; the same decision again is only remembered for the digest.
            await runNotify({ slack, state, log, now: () => T0 }, failed('table throttled'));
            await runNotify({ slack, state, log, now: () => T0 + 60_000 }, failed('table throttled'));
            // Slack back the next day: the outbox drains and the digest of the day before goes out.
            slackUp = true;
            const result = await runNotify({ slack, state, log, now: () => T0 + DAY_MS }, failed('x'));
            expect(result.outbox).toMatchObject({ redelivered: 1, depth: 0 });
          },
        );
      },
    ],
    [
      'importBill',
      () =>
        sentBy(
          ({ store }) => seedListPriceAttribution(store),
          async ({ store }) => {
            const ports = {
              store,
              bills: store.bills,
              events: createMemoryEventSink(),
              clock: manualClock(FOCUS_BILL_DAY + 2 * DAY_MS),
              objects: createMemoryObjectReader({ 'cur/focus.csv': fixture(FOCUS_BILL) }),
            };
            const request = { ...RUNS.importBill.options(CONFIG), bucket: 'cur', key: 'focus.csv' };
            expect((await runImportBill(ports, request)).outcome).toBe('created');
            // Delivered again: read, compared and left as it is.
            expect((await runImportBill(ports, request)).outcome).toBe('unchanged');
          },
        ),
    ],
    [
      'refreshPrices',
      () => {
        const pricing = mockClient(PricingClient);
        const ec2 = mockClient(EC2Client);
        answerAwsPrices(pricing, ec2, () => T0);
        return sentBy(
          async () => {},
          async ({ store }) => {
            const result = await refreshPrices(
              {
                store: { prices: store.prices, pools: { ...store.pools, list: async () => CONFIG.pools } },
                pricing: new PricingClient({ region: 'us-east-1' }),
                ec2: new EC2Client({ region: 'us-east-1' }),
                events: createMemoryEventSink(),
                clock: manualClock(T0),
              },
              RUNS.refreshPrices.options(CONFIG),
            );
            expect(result.failures).toEqual([]);
          },
        ).finally(() => {
          pricing.restore();
          ec2.restore();
        });
      },
    ],
  ];
  for (const [name, sent] of cases)
    it(`${name}: every table action it sends is granted to its function`, async () => {
      const actions = await sent();
      expect(actions.size, name).toBeGreaterThan(0);
      for (const action of actions) expect(allowed(name), `${name} sends ${action}`).toContain(action);
    });

  it('covers every run that has the table: a new run is checked here before it can meet AccessDenied', () => {
    const covered = new Set<FunctionName>([
      'forecast',
      'syncConfig',
      'optimize',
      'reclaim',
      'attribute',
      'report',
    ]);
    for (const [name] of cases) covered.add(name);
    const withTable = FUNCTION_NAMES.filter((name) =>
      (RUNS[name].ports as readonly string[]).includes('store'),
    );
    expect(withTable.filter((name) => !covered.has(name))).toEqual([]);
    // The runs without the store are granted no table action at all.
    for (const name of FUNCTION_NAMES.filter((n) => !withTable.includes(n)))
      expect(FUNCTION_ACCESS[name].table, name).toEqual([]);
  });
});
