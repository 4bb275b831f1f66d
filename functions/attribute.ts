// Lambda door of the attribute run (hourly): a schedule in, the hour's totals out.
import type { ScheduledEvent } from 'aws-lambda';
import { MetricUnit } from '../lib/adapters/metrics.ts';
import { formatUsd, usdToNumber } from '../lib/domain/money.ts';
import { HOUR_MS, hourStart, toRfc3339 } from '../lib/domain/time.ts';
import { METRIC_NAMES } from '../lib/infra/metric-names.ts';
import { runAttribute } from '../lib/runs/attribute.ts';
import { openDoor } from '../lib/system/door.ts';

const door = openDoor('attribute');

export interface AttributeSummary {
  hour: string;
  rows: number;
  fleetCostUsd: string;
  unpriced: string[];
}

export async function attributeHandler(event: ScheduledEvent): Promise<AttributeSummary> {
  const { config, assembly } = await door.system();
  const hour = await runAttribute(
    { store: await assembly.store(), clock: assembly.clock, log: door.log },
    { ...door.entry.options(config), ...scheduledHour(event) },
  );
  // Dollars as a plain number: CloudWatch has no currency unit, and the dashboard sums them per hour.
  door.metrics.publish([
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

export const handler = door.wrap(attributeHandler);
