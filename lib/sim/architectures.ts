// All cloud, all on-prem, or hybrid: the same trace replayed under each way of owning GPUs, with the break-even utilization.
import { z } from 'zod';
import {
  divRoundHalfEven,
  formatUsd,
  formatUsdForDisplay,
  MICROS_PER_USD,
  usdToNumber,
  zUsdAmountOrNumber,
  type MicroUsd,
} from '../domain/money.ts';
import type { Pool } from '../domain/pool.ts';
import { simulatePolicy, type Policy, type PolicyRun } from './engine.ts';
import { optimizerPolicy, type OptimizerPolicyOptions } from './policies/optimizer.ts';
import { commitmentLevel } from './policies/cover.ts';
import type { Scenario, SimPool } from './scenario.ts';

/** What owning a GPU costs, spread over its life; defaults are for a V100-class server share. Money is micro-dollars. */
export const zOwnershipCosts = z.object({
  /** Purchase price per GPU including its share of the server, network and storage. */
  hardwareUsdPerGpu: zUsdAmountOrNumber.default(12_000n * MICROS_PER_USD),
  amortizationYears: z.number().positive().max(10).default(3),
  /** Power of one GPU with its share of the server, at the wall. */
  wattsPerGpu: z.number().positive().default(450),
  electricityUsdPerKwh: zUsdAmountOrNumber.default(100_000n),
  /** Power usage effectiveness: cooling and losses on top of the IT load. */
  pue: z.number().min(1).max(3).default(1.4),
  /** Staff, space, support contracts, per GPU-hour. */
  operationsUsdPerGpuHour: zUsdAmountOrNumber.default(100_000n),
});
export type OwnershipCosts = z.infer<typeof zOwnershipCosts>;

const HOURS_PER_YEAR = 8760;

/**
 * An owned GPU's hour, exactly: the hardware over the hours of its life, the energy it draws with cooling
 * (kWh, a quantity) at the electricity price, and operations. Each money part is rounded once, half-even.
 */
export function ownedUsdPerGpuHour(c: OwnershipCosts): MicroUsd {
  const hardware = divRoundHalfEven(
    c.hardwareUsdPerGpu,
    BigInt(Math.max(1, Math.round(c.amortizationYears * HOURS_PER_YEAR))),
  );
  // Milliwatt-hours drawn in a GPU-hour, with cooling; a kWh is 10^6 of them.
  const milliWattHours = BigInt(Math.round(c.wattsPerGpu * c.pue * 1000));
  const energy = divRoundHalfEven(milliWattHours * c.electricityUsdPerKwh, 1_000_000n);
  return hardware + energy + c.operationsUsdPerGpuHour;
}

export interface ArchitectureResult {
  name: 'all-cloud' | 'all-on-prem' | 'hybrid';
  description: string;
  onPremGpus: number;
  run: PolicyRun;
}

export interface ArchitectureComparison {
  /** For display (tables, charts): the runs price owned capacity at the exact micro-dollar figure. */
  ownedUsdPerGpuHour: number;
  /** Utilization above which owning a GPU is cheaper than renting it: owned cost ÷ cloud cost per used GPU-hour. */
  breakEvenUtilizationVsOnDemand: number;
  breakEvenUtilizationVsOptimizedCloud: number;
  results: ArchitectureResult[];
  assumptions: string[];
}

/** The scenario with an owned pool of `instances` added (same instance shape as the first cloud pool). */
function withOnPrem(
  scenario: Scenario,
  instances: number,
  usdPerInstanceHour: bigint,
  cloud: boolean,
): Scenario {
  const template = scenario.pools[0]!.pool;
  const pool: Pool = {
    ...template,
    id: `onprem:datacenter:rack:${template.gpuModel.toLowerCase()}x${template.gpusPerInstance}`,
    provider: 'onprem',
    region: 'datacenter',
    zone: 'rack',
    instanceType: `${template.gpusPerInstance}x${template.gpuModel}`,
    maxInstances: instances,
    bootSeconds: 0,
  };
  const onPrem: SimPool = { pool, usdPerHour: { 'on-prem': usdPerInstanceHour } };
  // All on-prem keeps one cloud on-demand pool, used only to fill late demand so every architecture serves it all.
  const cloudPools = cloud
    ? scenario.pools
    : scenario.pools
        .slice(0, 1)
        .map((p) => ({ ...p, usdPerHour: { 'on-demand': p.usdPerHour['on-demand']! } }));
  return { ...scenario, pools: instances > 0 ? [onPrem, ...cloudPools] : cloudPools };
}

const ownedOnly: Policy = { name: 'owned', description: 'owned GPUs only', decide: () => new Map() };

export async function compareArchitectures(
  scenario: Scenario,
  costs: OwnershipCosts,
  allCloud: PolicyRun,
  optimizer: OptimizerPolicyOptions = {},
): Promise<ArchitectureComparison> {
  const gpusPerInstance = scenario.pools[0]!.pool.gpusPerInstance;
  const perGpuHour = ownedUsdPerGpuHour(costs);
  const perInstanceHour = perGpuHour * BigInt(gpusPerInstance);
  const billed = scenario.classes.map((c) => c.demandGpus.slice(scenario.warmupHours));
  const total = billed[0]!.map((_, h) => billed.reduce((a, d) => a + (d[h] ?? 0), 0));
  const peak = Math.max(0, ...total);
  const onDemandPerInstance = scenario.pools[0]!.usdPerHour['on-demand']!;
  // The optimized cloud's cost per GPU-hour it served (served GPU-hours to the milli-hour).
  const servedMilliGpuHours = BigInt(Math.max(1000, Math.round(allCloud.servedGpuHours * 1000)));
  const cloudPerUsedGpu = divRoundHalfEven(allCloud.costUsd * 1000n, servedMilliGpuHours);

  const peakInstances = Math.ceil(peak / gpusPerInstance);
  const allOnPrem = await simulatePolicy(
    withOnPrem(scenario, peakInstances, perInstanceHour, false),
    ownedOnly,
  );
  // Own the level of demand held often enough that an owned GPU is cheaper than the optimized cloud's GPU-hour.
  const history = total.slice(0, Math.min(total.length, 30 * 24));
  const ownGpus = commitmentLevel(history, perGpuHour, cloudPerUsedGpu);
  const ownInstances = Math.floor(ownGpus / gpusPerInstance);
  const hybrid = await simulatePolicy(withOnPrem(scenario, ownInstances, perInstanceHour, true), {
    ...optimizerPolicy(optimizer),
    name: 'hybrid',
  });
  return {
    ownedUsdPerGpuHour: usdToNumber(perGpuHour),
    breakEvenUtilizationVsOnDemand: Number(perInstanceHour) / Number(onDemandPerInstance),
    breakEvenUtilizationVsOptimizedCloud: Number(perGpuHour) / Number(cloudPerUsedGpu),
    results: [
      {
        name: 'all-cloud',
        description: 'the optimizer on cloud capacity only',
        onPremGpus: 0,
        run: allCloud,
      },
      {
        name: 'all-on-prem',
        description: 'owned GPUs bought to cover the peak',
        onPremGpus: peakInstances * gpusPerInstance,
        run: allOnPrem,
      },
      {
        name: 'hybrid',
        description:
          'owned GPUs for the level cheapest to own (first 30 billed days), the optimizer on cloud for the rest',
        onPremGpus: ownInstances * gpusPerInstance,
        run: hybrid,
      },
    ],
    assumptions: [
      `owning a GPU: ${formatUsdForDisplay(costs.hardwareUsdPerGpu)} over ${costs.amortizationYears} years, ` +
        `${costs.wattsPerGpu} W at $${usdToNumber(costs.electricityUsdPerKwh)}/kWh × PUE ${costs.pue}, operations $${usdToNumber(costs.operationsUsdPerGpuHour)}/GPU-h ` +
        `= $${formatUsd(perGpuHour)} per GPU-hour, used or not`,
      'the owned fleet has the cloud pools’ GPU model; all on-prem buys the peak of the replayed period, and what it cannot serve is filled late by cloud on-demand',
    ],
  };
}
