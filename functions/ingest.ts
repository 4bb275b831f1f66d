// Lambda door of the ingest run: SQS records (EventBridge events) in, partial batch failures out.
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { z } from 'zod';
import { createAwsStore, once } from '../lib/adapters/aws-ports.ts';
import { createDoorMetrics, MetricUnit, type MetricRecord } from '../lib/adapters/metrics.ts';
import type { Store } from '../lib/domain/ports.ts';
import { parseRfc3339 } from '../lib/domain/time.ts';
import type { WindowRollup } from '../lib/domain/usage.ts';
import { parseOrThrow } from '../lib/domain/validation.ts';
import { METRIC_NAMES } from '../lib/infra/metric-names.ts';
import { systemClock } from '../lib/memory/clock.ts';
import { jsonLogger } from '../lib/ingest/logger.ts';
import { ingest } from '../lib/runs/ingest.ts';

const zEnvironment = z.object({ TABLE_NAME: z.string().min(1) });

/** Read once at cold start: a missing variable fails the first invocation loudly, not a write later. */
const environment = parseOrThrow(zEnvironment, process.env, 'ingest function environment');
const store = once(() => createAwsStore(environment.TABLE_NAME));
const logger = jsonLogger((line) => process.stdout.write(line));
const metrics = createDoorMetrics('ingest');

export async function ingestHandler(event: SQSEvent): Promise<SQSBatchResponse> {
  const written: WindowRollup[] = [];
  const result = await ingest(
    event.Records.map((r) => ({ messageId: r.messageId, body: r.body })),
    { store: recordingRollups(await store(), written), clock: systemClock, logger },
  );
  metrics.publish(utilizationByWindow(written));
  // SQS reads only the partial batch response; the run has logged each failure's reason.
  return { batchItemFailures: result.batchItemFailures };
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

export const handler = middy<SQSEvent, SQSBatchResponse>().handler(ingestHandler);
