// Lambda door of the ingest run: SQS records (EventBridge events) in, partial batch failures out (Powertools batch).
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { createAwsStore, once } from '../lib/adapters/aws-ports.ts';
import { MetricUnit, type MetricRecord } from '../lib/adapters/metrics.ts';
import type { Store } from '../lib/domain/ports.ts';
import { parseRfc3339 } from '../lib/domain/time.ts';
import type { WindowRollup } from '../lib/domain/usage.ts';
import { METRIC_NAMES } from '../lib/infra/metric-names.ts';
import { systemClock } from '../lib/adapters/system-clock.ts';
import { ingest } from '../lib/runs/ingest.ts';
import { openDoor } from '../lib/system/door.ts';

/** Ingest needs no config: only its table, so that a config change never stops the intake. */
const door = openDoor('ingest');
const store = once(() => createAwsStore(door.environment.TABLE_NAME!));
const processor = new BatchProcessor(EventType.SQS, { logger: door.logger });

export async function ingestHandler(event: SQSEvent, context?: Context): Promise<SQSBatchResponse> {
  const written: WindowRollup[] = [];
  // The run takes the whole batch at once (rollups written 25 to a call, one write per node), so each record's
  // handler waits for that one run and fails with its own record's reason: Powertools builds the response.
  let run: Promise<Map<string, string>> | undefined;
  const failuresOfBatch = async () => {
    const result = await ingest(
      event.Records.map((r) => ({ messageId: r.messageId, body: r.body })),
      { store: recordingRollups(await store(), written), clock: systemClock, logger: door.runLogger },
    );
    return new Map(result.failures.map((f) => [f.messageId, f.reason]));
  };
  const ingestRecord = async (record: SQSRecord) => {
    const reason = (await (run ??= failuresOfBatch())).get(record.messageId);
    if (reason !== undefined) throw new Error(reason);
  };
  const response = await processPartialResponse(event, ingestRecord, processor, {
    ...(context ? { context } : {}),
    // A batch of poison records is reported record by record, not as a function error: the Errors alarm
    // stays for faults of the function, and the queue's retries and DLQ handle the records alike.
    throwOnFullBatchFailure: false,
  });
  door.metrics.publish(utilizationByWindow(written));
  return response;
}

/** The store, noting the rollups it wrote: the dashboard's utilization is of what was kept, not of what was refused. */
function recordingRollups(inner: Store, written: WindowRollup[]): Pick<Store, 'rollups' | 'nodes'> {
  return {
    nodes: inner.nodes,
    rollups: {
      ...inner.rollups,
      put: async (rollups) => {
        await inner.rollups.put(rollups);
        written.push(...rollups);
      },
    },
  };
}

/** Mean utilization of the batch's GPUs per window, each GPU weighted by the seconds it was sampled. */
function utilizationByWindow(rollups: readonly WindowRollup[]): MetricRecord[] {
  const windows = new Map<number, { weightedPct: number; seconds: number }>();
  for (const rollup of rollups) {
    const atMs = parseRfc3339(rollup.windowStart);
    const sum = windows.get(atMs) ?? { weightedPct: 0, seconds: 0 };
    for (const gpu of rollup.gpus) {
      if (gpu.utilizationMeanPct === null || gpu.sampledSeconds <= 0) continue;
      sum.weightedPct += gpu.utilizationMeanPct * gpu.sampledSeconds;
      sum.seconds += gpu.sampledSeconds;
    }
    windows.set(atMs, sum);
  }
  return [...windows.entries()]
    .filter(([, sum]) => sum.seconds > 0)
    .sort(([a], [b]) => a - b)
    .map(([atMs, sum]) => ({
      atMs,
      values: [
        {
          name: METRIC_NAMES.gpuUtilizationPct,
          unit: MetricUnit.Percent,
          value: sum.weightedPct / sum.seconds,
        },
      ],
    }));
}

export const handler = door.wrap(ingestHandler);
