// Lambda door of the attribute run (hourly): a schedule in, the hour's totals out.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import type { ScheduledEvent } from 'aws-lambda';
import { z } from 'zod';
import { zAttributionOptions, type AttributionOptionsWire } from '../lib/attribution/options.ts';
import { formatUsd, usdToNumber } from '../lib/domain/money.ts';
import { METRIC_NAMES, METRICS_NAMESPACE } from '../lib/infra/metric-names.ts';
import { HOUR_MS, hourStart, toRfc3339 } from '../lib/domain/time.ts';
import { parseOrThrow } from '../lib/domain/validation.ts';
import { systemClock } from '../lib/memory/clock.ts';
import { runAttribute } from '../lib/runs/attribute.ts';
import { createDynamoStore } from '../lib/store/index.ts';

const zEnvironment = z.object({
  TABLE_NAME: z.string().min(1),
  /** Idle policy, on-prem GPU-hour costs and commitments (see lib/attribution/options.ts), as JSON. */
  ATTRIBUTION_OPTIONS_JSON: z
    .string()
    .default('{}')
    .transform((text, ctx) => {
      try {
        const wire = JSON.parse(text) as AttributionOptionsWire;
        zAttributionOptions.parse(wire);
        return wire;
      } catch (error) {
        ctx.addIssue({
          code: 'custom',
          message: `not valid attribution options: ${(error as Error).message}`,
        });
        return z.NEVER;
      }
    }),
});

/** Read once at cold start: a missing or malformed variable fails the first invocation loudly. */
const environment = parseOrThrow(zEnvironment, process.env, 'attribute function environment');
const store = createDynamoStore({
  client: DynamoDBDocumentClient.from(new DynamoDBClient({})),
  tableName: environment.TABLE_NAME,
});

export interface AttributeSummary {
  hour: string;
  rows: number;
  fleetCostUsd: string;
  unpriced: string[];
}

export async function attributeHandler(event: ScheduledEvent): Promise<AttributeSummary> {
  const hour = await runAttribute(
    { store, clock: systemClock },
    { options: environment.ATTRIBUTION_OPTIONS_JSON, ...scheduledHour(event) },
  );
  // Embedded-metric-format line: CloudWatch turns it into the dashboard's fleet cost metric, no API call needed.
  console.log(
    JSON.stringify({
      _aws: {
        Timestamp: hour.hourStartMs,
        CloudWatchMetrics: [
          {
            Namespace: METRICS_NAMESPACE,
            Dimensions: [[]],
            Metrics: [{ Name: METRIC_NAMES.fleetCostUsd, Unit: 'None' }],
          },
        ],
      },
      [METRIC_NAMES.fleetCostUsd]: usdToNumber(hour.fleetCostUsd),
    }),
  );
  return {
    hour: toRfc3339(hour.hourStartMs),
    rows: hour.rows.length,
    fleetCostUsd: formatUsd(hour.fleetCostUsd),
    unpriced: hour.unpriced,
  };
}

/** A schedule's own time decides the hour, so a delayed or retried invocation attributes the hour it was meant for. */
function scheduledHour(event: ScheduledEvent): { hourStartMs?: number } {
  const ms = Date.parse(event.time);
  return Number.isFinite(ms) ? { hourStartMs: hourStart(ms) - HOUR_MS } : {};
}

export const handler = middy<ScheduledEvent, AttributeSummary>().handler(attributeHandler);
