// Small builders of pools, prices, classes and nodes for the optimizer tests (parsed, so defaults apply).
import { z } from 'zod';
import { zFleetNode, type FleetNode, type FleetNodeInput } from '../../lib/domain/fleet.ts';
import { parseUsd } from '../../lib/domain/money.ts';
import { zPool, type Pool, type PoolInput, type PurchaseOption } from '../../lib/domain/pool.ts';
import type { Forecast } from '../../lib/domain/forecast.ts';
import type { PriceQuote } from '../../lib/domain/price.ts';
import { toRfc3339 } from '../../lib/domain/time.ts';
import { zWorkloadClass, type WorkloadClass, type WorkloadClassInput } from '../../lib/domain/workload.ts';

export const START_MS = Date.parse('2026-03-02T00:00:00Z');

export function pool(id: string, fields: Partial<PoolInput> = {}): Pool {
  return zPool.parse({
    id,
    provider: 'aws',
    region: 'us-east-1',
    zone: 'us-east-1a',
    instanceType: id,
    gpuModel: 'A100',
    gpusPerInstance: 8,
    gpuMemoryGiB: 80,
    interconnect: 'nvswitch',
    bootSeconds: 0,
    ...fields,
  });
}

export function quote(
  poolId: string,
  option: PurchaseOption,
  usdPerHour: string,
  extra: Partial<PriceQuote> = {},
): PriceQuote {
  return {
    poolId,
    option,
    usdPerHour: parseUsd(usdPerHour),
    asOf: '2026-03-01T00:00:00Z',
    source: 'configured',
    modelled: false,
    ...extra,
  };
}

export function workload(id: string, fields: Partial<WorkloadClassInput> = {}): WorkloadClass {
  return zWorkloadClass.parse({ id, team: 'ml', ...fields });
}

export function node(
  nodeId: string,
  poolOf: Pool,
  option: PurchaseOption,
  fields: Partial<FleetNodeInput> = {},
): FleetNode {
  return z.decode(zFleetNode, {
    nodeId,
    provider: poolOf.provider,
    poolId: poolOf.id,
    region: poolOf.region,
    zone: poolOf.zone,
    instanceType: poolOf.instanceType,
    purchaseOption: option,
    state: 'running',
    gpuModel: poolOf.gpuModel,
    gpuCount: poolOf.gpusPerInstance,
    managed: true,
    ...fields,
  });
}

export const flat = (gpus: number, hours: number): number[] => new Array<number>(hours).fill(gpus);

/** A forecast issued at START_MS, the same every hour: the point (also p50), and p90 and p99 (the point when left out). */
export function steadyForecast(
  classId: string,
  bands: { point: number; p90?: number; p99?: number },
  hours = 24,
): Forecast {
  const p90 = bands.p90 ?? bands.point;
  return flatForecastAt(classId, START_MS, { point: bands.point, p90, p99: bands.p99 ?? p90 }, hours);
}

/** A forecast issued at `atMs`, flat over `hours`: the point (also p50), p90 and p99 (scaled from the point when left out). */
export function flatForecastAt(
  classId: string,
  atMs: number,
  bands: { point: number; p90?: number; p99?: number },
  hours = 24,
): Forecast {
  return {
    classId,
    issuedAt: toRfc3339(atMs),
    stepSeconds: 3600,
    model: 'seasonal-naive',
    scores: [],
    steps: Array.from({ length: hours }, (_, h) => ({
      at: toRfc3339(atMs + h * 3600_000),
      point: bands.point,
      p50: bands.point,
      p90: bands.p90 ?? bands.point * 1.1,
      p99: bands.p99 ?? bands.point * 1.2,
    })),
  };
}
