// The table actions each run really sends, against what its function's role allows: a run that starts using a
// new DynamoDB action without the stack granting it would fail in AWS with AccessDenied, and fails here first.
import { describe, expect, it } from 'vitest';
import { FUNCTION_ACCESS, TABLE_ACTIONS, type FunctionName } from '../../lib/infra/access.ts';
import { manualClock } from '../../lib/memory/clock.ts';
import { createMemoryEventSink } from '../../lib/memory/event-sink.ts';
import { runForecast } from '../../lib/runs/forecast.ts';
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
});
