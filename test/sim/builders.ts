// Small scenarios for the simulator's tests: two zones of p3.16xlarge and one training class.
import type { Pool } from '../../lib/domain/pool.ts';
import type { Scenario, SimPool } from '../../lib/sim/scenario.ts';

function pool(id: string, gpus = 8): Pool {
  return {
    id,
    provider: 'aws',
    region: 'us-east-1',
    zone: id,
    instanceType: 'p3.16xlarge',
    gpuModel: 'V100',
    gpusPerInstance: gpus,
    gpuMemoryGiB: 16,
    interconnect: 'nvlink',
    bootSeconds: 300,
  };
}

/**
 * Zone a sells on-demand, reserved and spot; zone b on-demand and spot. One class, `train`, may put 60 % of its
 * demand on spot and checkpoints every 30 minutes.
 */
export function twoZoneScenario(s: {
  name: string;
  hours: number;
  warmupHours: number;
  demand: readonly number[];
  /** Spot instances each zone can hold per hour. */
  spotA: readonly number[];
  spotB: readonly number[];
  /** Micro-dollars per instance-hour. */
  prices: { onDemand: bigint; reservedA: bigint; spotA: bigint; spotB: bigint };
}): Scenario {
  const pools: SimPool[] = [
    {
      pool: pool('a'),
      usdPerHour: { 'on-demand': s.prices.onDemand, reserved: s.prices.reservedA, spot: s.prices.spotA },
      spotAvailable: s.spotA,
    },
    {
      pool: pool('b'),
      usdPerHour: { 'on-demand': s.prices.onDemand, spot: s.prices.spotB },
      spotAvailable: s.spotB,
    },
  ];
  return {
    name: s.name,
    startMs: Date.parse('2026-01-05T00:00:00Z'),
    hours: s.hours,
    warmupHours: s.warmupHours,
    defaultBootSeconds: 300,
    pools,
    classes: [
      {
        workload: {
          id: 'train',
          team: 'ml',
          minGpuMemoryGiB: 16,
          interconnect: 'pcie',
          allowedGpuModels: [],
          spotShare: 0.6,
          checkpointIntervalMinutes: 30,
        },
        demandGpus: s.demand,
      },
    ],
    assumptions: [],
  };
}
