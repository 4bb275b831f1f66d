// The Store port in memory, for tests and `simulate`: stores the encoded form, so it keeps what DynamoDB keeps.
import { z } from 'zod';
import { createMemoryBillRepository } from '../attribution/bills/repository.ts';
import { zAttributionRow, type AttributionRow } from '../domain/attribution.ts';
import { zCalibration, type Calibration } from '../domain/calibration.ts';
import { zDemandHour, type DemandHour } from '../domain/demand.ts';
import { zFleetNode, zPendingNodeFact, type FleetNode } from '../domain/fleet.ts';
import { zForecast, type Forecast } from '../domain/forecast.ts';
import { zLedgerEntry, type LedgerEntry } from '../domain/ledger.ts';
import { zPlan, type Plan } from '../domain/plan.ts';
import type { Store } from '../domain/ports.ts';
import { zPool, type Pool } from '../domain/pool.ts';
import { zPriceQuote, type PriceQuote } from '../domain/price.ts';
import { parseRfc3339 } from '../domain/time.ts';
import { zWindowRollup, type WindowRollup } from '../domain/usage.ts';
import { zWorkloadClass, type WorkloadClass } from '../domain/workload.ts';
import { decodeEntity, encodeEntity } from '../store/codec.ts';
import { checkAttributionHour, sortableMs, storedNodePatch, storedPriceKey } from '../store/rules.ts';

/** A map of stored (encoded, cloned) values: what goes in cannot be changed by the caller afterwards. */
class Table<S extends z.ZodType> {
  private readonly rows = new Map<string, z.input<S>>();
  constructor(
    private readonly schema: S,
    private readonly what: string,
  ) {}
  encode(value: z.output<S>): z.input<S> {
    return encodeEntity(this.schema, value, this.what);
  }
  set(key: string, value: z.output<S>): void {
    this.setStored(key, this.encode(value));
  }
  setStored(key: string, stored: z.input<S>): void {
    this.rows.set(key, structuredClone(stored));
  }
  has(key: string): boolean {
    return this.rows.has(key);
  }
  delete(key: string): void {
    this.rows.delete(key);
  }
  stored(key: string): z.input<S> | undefined {
    return structuredClone(this.rows.get(key));
  }
  get(key: string): z.output<S> | undefined {
    const stored = this.rows.get(key);
    return stored === undefined ? undefined : decodeEntity(this.schema, structuredClone(stored), this.what);
  }
  /** Values in key order, optionally only those whose key passes `keep`. */
  values(keep: (key: string) => boolean = () => true): z.output<S>[] {
    return [...this.rows.keys()]
      .filter(keep)
      .sort()
      .map((k) => this.get(k)!);
  }
  keys(): string[] {
    return [...this.rows.keys()];
  }
}

const inRange = (ms: number, fromMs: number, toMs: number) => ms >= fromMs && ms < toMs;
/** Keys that sort by time, with the same limits as DynamoDB's sort keys (1970 to 2286). */
const timeKey = (ms: number, ...rest: string[]) => [sortableMs(ms), ...rest].join('\u0000');
const timeOfKey = (key: string) => Number(key.slice(0, 13));

export function createMemoryStore(): Store {
  const rollups = new Table(zWindowRollup, 'rollup');
  const nodes = new Table(zFleetNode, 'node');
  const pendingNodeFacts = new Table(zPendingNodeFact, 'pending node fact');
  const forecasts = new Table(zForecast, 'forecast');
  const plans = new Table(zPlan, 'plan');
  const ledger = new Table(zLedgerEntry, 'ledger entry');
  const attribution = new Table(zAttributionRow, 'attribution row');
  const prices = new Table(zPriceQuote, 'price quote');
  const classes = new Table(zWorkloadClass, 'workload class');
  const pools = new Table(zPool, 'pool');
  const demand = new Table(zDemandHour, 'demand hour');
  const calibrations = new Table(zCalibration, 'calibration');
  const rollupKey = (r: WindowRollup) => timeKey(parseRfc3339(r.windowStart), r.node.nodeId, r.eventId);
  const forecastKey = (f: Forecast) => [f.classId, timeKey(parseRfc3339(f.issuedAt))].join('\u0001');

  return {
    rollups: {
      async put(items: readonly WindowRollup[]) {
        // Every item is checked before any is kept, as the DynamoDB store encodes all before writing.
        const stored = items.map((r) => {
          const value = rollups.encode(r);
          return [rollupKey(r), value] as const;
        });
        for (const [key, value] of stored) rollups.setStored(key, value);
      },
      async forNode(nodeId, fromMs, toMs) {
        return rollups
          .values((k) => inRange(timeOfKey(k), fromMs, toMs))
          .filter((r) => r.node.nodeId === nodeId);
      },
      async between(fromMs, toMs) {
        return rollups.values((k) => inRange(timeOfKey(k), fromMs, toMs));
      },
    },

    nodes: {
      async put(node: FleetNode) {
        nodes.set(node.nodeId, node);
      },
      async create(node: FleetNode) {
        const stored = nodes.encode(node);
        if (nodes.has(node.nodeId)) return 'exists';
        nodes.setStored(node.nodeId, stored);
        return 'created';
      },
      async get(nodeId) {
        return nodes.get(nodeId);
      },
      async getMany(nodeIds) {
        const found = new Map<string, FleetNode>();
        for (const id of nodeIds) {
          const node = nodes.get(id);
          if (node) found.set(id, node);
        }
        return found;
      },
      async list() {
        return nodes.values();
      },
      async patch(nodeId, fields, expected) {
        const { set, remove } = storedNodePatch(nodeId, fields);
        const stored = nodes.stored(nodeId) as Record<string, unknown> | undefined;
        if (!stored) return false;
        if (Object.entries(expected ?? {}).some(([name, value]) => stored[name] !== value)) return false;
        for (const name of remove) delete stored[name];
        nodes.setStored(nodeId, { ...stored, ...set } as z.input<typeof zFleetNode>);
        return true;
      },
      async keepPendingFact(fact) {
        pendingNodeFacts.set(`${fact.nodeId}\u0000${fact.eventId}`, fact);
      },
      async pendingFacts(nodeId) {
        return pendingNodeFacts.values((k) => k.startsWith(`${nodeId}\u0000`));
      },
    },

    forecasts: {
      async put(forecast: Forecast) {
        const stored = forecasts.encode(forecast);
        forecasts.setStored(forecastKey(forecast), stored);
      },
      async latest(classId) {
        return forecasts.values((k) => k.startsWith(`${classId}\u0001`)).at(-1);
      },
      async between(classId, fromMs, toMs) {
        return forecasts
          .values((k) => k.startsWith(`${classId}\u0001`))
          .filter((f) => inRange(parseRfc3339(f.issuedAt), fromMs, toMs));
      },
    },

    plans: {
      async create(plan: Plan) {
        if (plans.has(plan.planId)) return 'exists';
        plans.set(plan.planId, plan);
        return 'created';
      },
      async get(planId) {
        return plans.get(planId);
      },
      async between(fromMs, toMs) {
        return byTime(plans.values(), (p) => p.createdAt, fromMs, toMs);
      },
    },

    ledger: {
      async record(entry: LedgerEntry) {
        if (ledger.has(entry.entryId)) return 'exists';
        ledger.set(entry.entryId, entry);
        return 'created';
      },
      async between(fromMs, toMs) {
        return byTime(ledger.values(), (e) => e.at, fromMs, toMs);
      },
    },

    attribution: {
      async putHour(hourStartMs, rows: readonly AttributionRow[]) {
        checkAttributionHour(hourStartMs, rows);
        const encoded = rows.map((row, i) => encodeEntity(zAttributionRow, row, `attribution row ${i}`));
        for (const k of attribution.keys()) if (timeOfKey(k) === hourStartMs) attribution.delete(k);
        encoded.forEach((stored, i) =>
          attribution.setStored(timeKey(hourStartMs, String(i).padStart(6, '0')), stored),
        );
      },
      async between(fromMs, toMs) {
        return attribution
          .values()
          .filter((row) => inRange(parseRfc3339(row.ChargePeriodStart), fromMs, toMs));
      },
    },

    prices: {
      async put(quotes: readonly PriceQuote[]) {
        const stored = quotes.map((q) => [storedPriceKey(q), prices.encode(q)] as const);
        for (const [key, value] of stored) prices.setStored(key, value);
      },
      async all() {
        return prices.values();
      },
      async removePools(poolIds) {
        const retired = new Set(poolIds);
        for (const key of prices.keys()) if (retired.has(prices.get(key)!.poolId)) prices.delete(key);
      },
    },

    classes: {
      async put(workload: WorkloadClass) {
        classes.set(workload.id, workload);
      },
      async list() {
        return classes.values();
      },
      async remove(classIds) {
        for (const id of classIds) classes.delete(id);
      },
    },

    pools: {
      async put(items: readonly Pool[]) {
        const stored = items.map((pool) => [pool.id, pools.encode(pool)] as const);
        for (const [key, value] of stored) pools.setStored(key, value);
      },
      async list() {
        return pools.values();
      },
      async remove(poolIds) {
        for (const id of poolIds) pools.delete(id);
      },
    },

    bills: createMemoryBillRepository(),

    demand: {
      async put(points: readonly DemandHour[]) {
        const stored = points.map((p) => {
          const value = encodeEntity(zDemandHour, p, `demand hour of class ${p?.classId}`);
          return [timeKey(p.hourStartMs, p.classId), value] as const;
        });
        for (const [key, value] of stored) demand.setStored(key, value);
      },
      async between(fromMs, toMs) {
        return demand.values((k) => inRange(timeOfKey(k), fromMs, toMs));
      },
    },

    calibration: {
      async get(classId) {
        return calibrations.get(classId);
      },
      async advance(calibration: Calibration) {
        const stored = calibrations.encode(calibration);
        const current = calibrations.get(calibration.classId);
        if (current && parseRfc3339(current.scoredIssuedAt) >= parseRfc3339(calibration.scoredIssuedAt))
          return 'stale';
        calibrations.setStored(calibration.classId, stored);
        return 'stored';
      },
    },
  };
}

/** Values whose time falls in [from, to), oldest first. */
function byTime<T>(values: T[], timeOf: (v: T) => string, fromMs: number, toMs: number): T[] {
  return values
    .map((v) => ({ v, ms: parseRfc3339(timeOf(v)) }))
    .filter(({ ms }) => inRange(ms, fromMs, toMs))
    .sort((a, b) => a.ms - b.ms)
    .map(({ v }) => v);
}
