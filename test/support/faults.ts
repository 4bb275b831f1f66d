// DynamoDB faults for tests: an SDK middleware in front of the real dynalite that throttles calls and defers batch items.
import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';

export type ThrottleErrorName = 'ProvisionedThroughputExceededException' | 'ThrottlingException';

export interface FaultPlan {
  /** Fail the first N calls with a throttling error. Each SDK attempt is a call (the fault sits inside SDK retry). */
  throttleFirst?: number;
  throttleError?: ThrottleErrorName;
  /** Only calls whose command name contains one of these (e.g. 'BatchWrite', 'Query'); every call when absent. */
  throttleOnly?: string[];
  /**
   * For the first `calls` BatchWriteItem calls, perform only `keep(n)` of the n requests against dynalite
   * and hand the rest back as UnprocessedItems, as DynamoDB does when it sheds part of a batch.
   */
  unprocessed?: { calls: number; keep?: (requested: number) => number };
  /** The same for BatchGetItem: read only `keep(n)` of the n keys and hand the rest back as UnprocessedKeys. */
  unprocessedKeys?: { calls: number; keep?: (requested: number) => number };
}

export interface FaultLog {
  /** Calls that reached the fault layer, SDK retries included. */
  calls: number;
  throttled: number;
  /** Batch items handed back unprocessed, over all calls. */
  deferredItems: number;
  /** Takes the middleware off the client. */
  remove(): void;
}

type Input = Record<string, unknown>;
type Result = { output: Input; response?: unknown };
type Handler = (args: { input: Input; request?: unknown }) => Promise<Result>;
type Middleware = (next: Handler, context: { commandName?: string }) => Handler;
interface MiddlewareStack {
  add(
    middleware: Middleware,
    options: { step: 'initialize' | 'finalizeRequest'; priority: 'high' | 'low'; name: string },
  ): void;
  remove(name: string): boolean;
}

let injections = 0;

function throttlingError(name: ThrottleErrorName): Error {
  const message = 'injected by test/support/faults.ts';
  if (name === 'ProvisionedThroughputExceededException') {
    return new ProvisionedThroughputExceededException({ message, $metadata: { httpStatusCode: 400 } });
  }
  return Object.assign(new Error(message), {
    name,
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
  });
}

/** Adds the faults of `plan` to a DynamoDB client (plain or document: they share one middleware stack). */
export function injectFaults(client: { middlewareStack: unknown }, plan: FaultPlan): FaultLog {
  const stack = client.middlewareStack as MiddlewareStack;
  const id = ++injections;
  const log: FaultLog = {
    calls: 0,
    throttled: 0,
    deferredItems: 0,
    remove: () => {
      stack.remove(`faults-throttle-${id}`);
      stack.remove(`faults-unprocessed-${id}`);
      stack.remove(`faults-unprocessed-keys-${id}`);
    },
  };

  // Inside the SDK's retry middleware, so that SDK retries meet the fault too.
  stack.add(
    (next, context) => async (args) => {
      log.calls++;
      const matches =
        !plan.throttleOnly || plan.throttleOnly.some((name) => context.commandName?.includes(name));
      if (matches && log.throttled < (plan.throttleFirst ?? 0)) {
        log.throttled++;
        throw throttlingError(plan.throttleError ?? 'ProvisionedThroughputExceededException');
      }
      return next(args);
    },
    { step: 'finalizeRequest', priority: 'low', name: `faults-throttle-${id}` },
  );

  // Before marshalling, so the requests kept and handed back are in the caller's own form.
  let batchCalls = 0;
  stack.add(
    (next, context) => async (args) => {
      const deferring = plan.unprocessed && context.commandName?.includes('BatchWrite');
      if (!deferring || batchCalls >= plan.unprocessed!.calls) return next(args);
      batchCalls++;
      const keep = plan.unprocessed!.keep ?? ((n: number) => Math.ceil(n / 2));
      const requested = args.input.RequestItems as Record<string, unknown[]>;
      const kept: Record<string, unknown[]> = {};
      const deferred: Record<string, unknown[]> = {};
      for (const [table, requests] of Object.entries(requested)) {
        const n = Math.max(0, Math.min(requests.length, keep(requests.length)));
        if (n > 0) kept[table] = requests.slice(0, n);
        if (n < requests.length) deferred[table] = requests.slice(n);
        log.deferredItems += requests.length - n;
      }
      const result: Result =
        Object.keys(kept).length > 0
          ? await next({ ...args, input: { ...args.input, RequestItems: kept } })
          : { output: { $metadata: {} } };
      const already = (result.output.UnprocessedItems ?? {}) as Record<string, unknown[]>;
      for (const [table, requests] of Object.entries(deferred)) {
        already[table] = [...(already[table] ?? []), ...requests];
      }
      return { ...result, output: { ...result.output, UnprocessedItems: already } };
    },
    { step: 'initialize', priority: 'high', name: `faults-unprocessed-${id}` },
  );

  let getCalls = 0;
  stack.add(
    (next, context) => async (args) => {
      const deferring = plan.unprocessedKeys && context.commandName?.includes('BatchGet');
      if (!deferring || getCalls >= plan.unprocessedKeys!.calls) return next(args);
      getCalls++;
      const keep = plan.unprocessedKeys!.keep ?? ((n: number) => Math.ceil(n / 2));
      const requested = args.input.RequestItems as Record<string, { Keys: unknown[] }>;
      const kept: Record<string, { Keys: unknown[] }> = {};
      const deferred: Record<string, { Keys: unknown[] }> = {};
      for (const [table, { Keys, ...rest }] of Object.entries(requested)) {
        const n = Math.max(0, Math.min(Keys.length, keep(Keys.length)));
        if (n > 0) kept[table] = { ...rest, Keys: Keys.slice(0, n) };
        if (n < Keys.length) deferred[table] = { ...rest, Keys: Keys.slice(n) };
        log.deferredItems += Keys.length - n;
      }
      const result: Result =
        Object.keys(kept).length > 0
          ? await next({ ...args, input: { ...args.input, RequestItems: kept } })
          : { output: { $metadata: {}, Responses: {} } };
      return { ...result, output: { ...result.output, UnprocessedKeys: deferred } };
    },
    { step: 'initialize', priority: 'high', name: `faults-unprocessed-keys-${id}` },
  );
  return log;
}
