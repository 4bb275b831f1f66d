// Attributes a simulated bill with the real attribution core: every bill line of an hour is one resource, split over classes by GPU-seconds.
import { attributeHour } from '../attribution/hour.ts';
import { DEFAULT_ATTRIBUTION_OPTIONS } from '../attribution/options.ts';
import type { AttributionRow } from '../domain/attribution.ts';
import type { FleetNode } from '../domain/fleet.ts';
import { sumUsd } from '../domain/money.ts';
import type { PriceQuote } from '../domain/price.ts';
import { HOUR_MS, toRfc3339 } from '../domain/time.ts';
import type { WindowRollup } from '../domain/usage.ts';
import type { BillLine, PolicyRun } from './engine.ts';
import { holdingKey, type Scenario } from './scenario.ts';

export interface RunAttribution {
  rows: AttributionRow[];
  /** Hours whose rows did not sum to the bill: empty when attribution reconciles. */
  mismatchedHours: { hour: number; billUsd: bigint; attributedUsd: bigint }[];
}

function resourceOf(line: BillLine): string {
  const base = holdingKey(line.poolId, line.option);
  if (line.kind === 'held') return base;
  return line.kind === 'boot' ? `${base}|boot` : `${base}|late-fill|${line.classId}`;
}

/**
 * One resource per bill line (all instances of a pool and option in the hour, a late fill, or the boot time
 * of launches), priced at exactly what the line cost, so the rows of an hour sum to the hour's bill.
 */
export function attributeRun(scenario: Scenario, run: PolicyRun): RunAttribution {
  const pools = new Map(scenario.pools.map((p) => [p.pool.id, p]));
  const teamOf = new Map(scenario.classes.map((c) => [c.workload.id, c.workload]));
  const linesByHour = new Map<number, BillLine[]>();
  for (const line of run.bill) linesByHour.set(line.hour, [...(linesByHour.get(line.hour) ?? []), line]);
  const rows: AttributionRow[] = [];
  const mismatchedHours: RunAttribution['mismatchedHours'] = [];

  for (const record of run.hours) {
    const hourStartMs = scenario.startMs + record.hour * HOUR_MS;
    const asOf = toRfc3339(hourStartMs);
    const nodes: FleetNode[] = [];
    const quotes: PriceQuote[] = [];
    const rollups: WindowRollup[] = [];
    const lines = linesByHour.get(record.hour) ?? [];
    for (const line of lines) {
      const sp = pools.get(line.poolId)!;
      const resource = resourceOf(line);
      const option = line.option;
      const onDemand = sp.usdPerHour['on-demand'];
      nodes.push({
        nodeId: resource,
        provider: sp.pool.provider,
        poolId: resource,
        region: sp.pool.region,
        zone: sp.pool.zone,
        instanceType: sp.pool.instanceType,
        purchaseOption: option,
        state: 'running',
        gpuModel: sp.pool.gpuModel,
        gpuCount: line.instances * sp.pool.gpusPerInstance,
        launchedAt: toRfc3339(hourStartMs - HOUR_MS),
        labels: {},
        managed: true,
        protected: false,
        runningJobs: [],
      });
      quotes.push({
        poolId: resource,
        option,
        usdPerHour: line.costUsd,
        asOf,
        source: 'sim',
        modelled: false,
      });
      if (option !== 'on-demand' && onDemand !== undefined && line.kind === 'held') {
        quotes.push({
          poolId: resource,
          option: 'on-demand',
          usdPerHour: onDemand * BigInt(line.instances),
          asOf,
          source: 'sim',
          modelled: false,
        });
      }
      // Boot time serves nobody: it is idle cost of the pool's team.
      const served =
        line.kind === 'boot'
          ? []
          : line.kind === 'late-fill'
            ? record.service
                .filter((s) => s.classId === line.classId)
                .map((s) => ({ classId: s.classId, gpus: s.shortfallGpus }))
            : record.allocations.filter((a) => a.key === holdingKey(line.poolId, line.option));
      rollups.push({
        node: {
          nodeId: resource,
          provider: sp.pool.provider,
          region: sp.pool.region,
          zone: sp.pool.zone,
          instanceType: sp.pool.instanceType,
          poolId: resource,
          labels: {},
        },
        windowStart: asOf,
        eventId: `sim-${record.hour}`,
        gpus: [],
        jobs: served.map((a) => {
          const w = teamOf.get(a.classId)!;
          return { jobId: `class:${a.classId}`, team: w.team, project: w.project, gpuSeconds: a.gpus * 3600 };
        }),
        lastLoginAt: null,
      });
    }
    const hour = attributeHour({
      hourStartMs,
      nodes,
      rollups,
      prices: quotes,
      options: DEFAULT_ATTRIBUTION_OPTIONS,
    });
    const billUsd = sumUsd(lines.map((l) => l.costUsd));
    const attributedUsd = sumUsd(hour.rows.map((r) => r.EffectiveCost));
    if (billUsd !== attributedUsd || billUsd !== record.costUsd)
      mismatchedHours.push({ hour: record.hour, billUsd, attributedUsd });
    for (const row of hour.rows) rows.push({ ...row, x_CostSource: 'list' });
  }
  return { rows, mismatchedHours };
}
