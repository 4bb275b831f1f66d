// Lambda door of the attribute run (hourly): a schedule in, the hour's totals out.
import middy from '@middy/core';
import type { ScheduledEvent } from 'aws-lambda';
import { z } from 'zod';
import { createAwsStore, once } from '../lib/adapters/aws-ports.ts';
import { createDoorMetrics, MetricUnit } from '../lib/adapters/metrics.ts';
import { zAttributionOptions, type AttributionOptionsWire } from '../lib/attribution/options.ts';
import { formatUsd, usdToNumber } from '../lib/domain/money.ts';
import { HOUR_MS, hourStart, toRfc3339 } from '../lib/domain/time.ts';
import { parseOrThrow } from '../lib/domain/validation.ts';
import { METRIC_NAMES } from '../lib/infra/metric-names.ts';
import { systemClock } from '../lib/memory/clock.ts';
import { runAttribute } from '../lib/runs/attribute.ts';

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
const store = once(() => createAwsStore(environment.TABLE_NAME));
const metrics = createDoorMetrics('attribute');

export interface AttributeSummary {
  hour: string;
  rows: number;
  fleetCostUsd: string;
  unpriced: string[];
}

export async function attributeHandler(event: ScheduledEvent): Promise<AttributeSummary> {
  const hour = await runAttribute(
    { store: await store(), clock: systemClock },
    { options: environment.ATTRIBUTION_OPTIONS_JSON, ...scheduledHour(event) },
  );
  // Dollars as a plain number: CloudWatch has no currency unit, and the dashboard sums them per hour.
  metrics.publish([
    {
      atMs: hour.hourStartMs,
      values: [
        { name: METRIC_NAMES.fleetCostUsd, unit: MetricUnit.NoUnit, value: usdToNumber(hour.fleetCostUsd) },
      ],
    },
  ]);
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
