// The attribute run (hourly): splits the last whole hour's fleet cost into FOCUS rows and stores them.
import { attributeHour, type HourAttribution } from '../attribution/hour.ts';
import { zAttributionOptions, type AttributionOptionsWire } from '../attribution/options.ts';
import { sumUsd } from '../domain/money.ts';
import type { Clock, Store } from '../domain/ports.ts';
import { HOUR_MS, hourStart, toRfc3339 } from '../domain/time.ts';

export interface AttributePorts {
  store: Store;
  clock: Clock;
  log?: (entry: Record<string, unknown>) => void;
}

export interface AttributeRequest {
  options?: AttributionOptionsWire;
  /** The hour to attribute; the last whole hour before now when absent. */
  hourStartMs?: number;
}

export class ReconciliationError extends Error {
  constructor(hourStartMs: number, attributedUsd: bigint, fleetCostUsd: bigint) {
    super(
      `attribution of ${toRfc3339(hourStartMs)} sums to ${attributedUsd} µ$, the fleet cost ${fleetCostUsd} µ$: nothing stored`,
    );
    this.name = 'ReconciliationError';
  }
}

export async function runAttribute(
  ports: AttributePorts,
  request: AttributeRequest = {},
): Promise<HourAttribution> {
  const options = zAttributionOptions.parse(request.options ?? {});
  const hourStartMs = request.hourStartMs ?? hourStart(ports.clock.now()) - HOUR_MS;
  if (hourStartMs % HOUR_MS !== 0)
    throw new RangeError(`hour ${toRfc3339(hourStartMs)} does not start on the hour`);
  const [nodes, rollups, prices] = await Promise.all([
    ports.store.nodes.list(),
    ports.store.rollups.between(hourStartMs, hourStartMs + HOUR_MS),
    ports.store.prices.all(),
  ]);
  const hour = attributeHour({ hourStartMs, nodes, rollups, prices, options });
  const attributedUsd = sumUsd(hour.rows.map((r) => r.EffectiveCost));
  // The split is exact by construction; a mismatch is a bug, and wrong money is worse than none.
  if (attributedUsd !== hour.fleetCostUsd)
    throw new ReconciliationError(hourStartMs, attributedUsd, hour.fleetCostUsd);
  await ports.store.attribution.putHour(hourStartMs, hour.rows);
  (ports.log ?? ((e) => console.log(JSON.stringify(e))))({
    level: hour.unpriced.length ? 'warn' : 'info',
    msg: 'attribute run',
    hour: toRfc3339(hourStartMs),
    rows: hour.rows.length,
    fleetCostUsd: hour.fleetCostUsd.toString(),
    unpriced: hour.unpriced,
  });
  return hour;
}
