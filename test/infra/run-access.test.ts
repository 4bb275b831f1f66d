// The table actions each run really sends, against what its function's role allows: a run that starts using a
// new DynamoDB action without the stack granting it would fail in AWS with AccessDenied, and fails here first.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { FUNCTION_ACCESS, TABLE_ACTIONS, type FunctionName } from '../../lib/infra/access.ts';
import { manualClock } from '../../lib/memory/clock.ts';
import { createMemoryEventSink } from '../../lib/memory/event-sink.ts';
import { runAttribute } from '../../lib/runs/attribute.ts';
import { runForecast } from '../../lib/runs/forecast.ts';
import { runOptimize } from '../../lib/runs/optimize.ts';
import { runReclaim } from '../../lib/runs/reclaim.ts';
import { runReport } from '../../lib/runs/report.ts';
import { syncConfig } from '../../lib/runs/sync-config.ts';
import { RUNS } from '../../lib/system/catalogue.ts';
import { parseDeployConfig } from '../../lib/system/config.ts';
import { freshDynamoStore } from '../support/dynamo.ts';
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
