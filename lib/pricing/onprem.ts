// On-prem pools and their configured cost per GPU-hour (owning and running the hardware) as 'on-prem' quotes.
import { z } from 'zod';
import { zId } from '../domain/fields.ts';
import { zUsdAmount, type MicroUsd } from '../domain/money.ts';
import { poolId, zInterconnect, type Pool } from '../domain/pool.ts';
import { filterQuotes, type PriceQuote } from '../domain/price.ts';
import type { Clock, PriceSource } from '../domain/ports.ts';
import { toRfc3339 } from '../domain/time.ts';
import { parseOrThrow } from '../domain/validation.ts';
import { gpuModelByName } from './gpu-models.ts';

const zOnPremPool = z.object({
  cluster: zId,
  partition: zId,
  nodeType: zId,
  gpuModel: zId,
  gpusPerNode: z.number().int().min(1).max(64),
  /** Defaults to the GPU model table's memory when the model is known. */
  gpuMemoryGiB: z.number().positive().optional(),
  interconnect: zInterconnect.default('pcie'),
  nodes: z.number().int().min(1),
  /** Cost of one GPU-hour: depreciation, power, space, people; a decimal string of dollars, like "1.25". */
  usdPerGpuHour: zUsdAmount,
  bootSeconds: z.number().min(0).default(600),
});

export const zOnPremConfig = z.object({ pools: z.array(zOnPremPool).min(1) });
export type OnPremConfig = z.output<typeof zOnPremConfig>;
export type OnPremConfigInput = z.input<typeof zOnPremConfig>;

export interface OnPremCatalog {
  pools: Pool[];
  /** The configured cost per instance-hour of each pool (usdPerGpuHour × GPUs per node). */
  quotes(asOfMs: number): PriceQuote[];
}

/** Validates an on-prem configuration (errors name the field) and turns it into pools and quotes. */
export function onPremCatalog(input: unknown): OnPremCatalog {
  const config = parseOrThrow(zOnPremConfig, input, 'on-prem configuration');
  const entries = config.pools.map((p, i) => {
    const memory = p.gpuMemoryGiB ?? gpuModelByName(p.gpuModel)?.memoryGiB;
    if (memory === undefined) {
      throw new Error(
        `invalid on-prem configuration: pools[${i}].gpuMemoryGiB: required for unknown GPU model ${p.gpuModel}`,
      );
    }
    const pool: Pool = {
      id: poolId('onprem', p.cluster, p.partition, p.nodeType),
      provider: 'onprem',
      region: p.cluster,
      zone: p.partition,
      instanceType: p.nodeType,
      gpuModel: gpuModelByName(p.gpuModel)?.name ?? p.gpuModel,
      gpusPerInstance: p.gpusPerNode,
      gpuMemoryGiB: memory,
      interconnect: p.interconnect,
      bootSeconds: p.bootSeconds,
      maxInstances: p.nodes,
    };
    const usdPerHour: MicroUsd = p.usdPerGpuHour * BigInt(p.gpusPerNode);
    return { pool, usdPerHour };
  });
  return {
    pools: entries.map((e) => e.pool),
    quotes: (asOfMs) =>
      entries.map((e) => ({
        poolId: e.pool.id,
        option: 'on-prem',
        usdPerHour: e.usdPerHour,
        asOf: toRfc3339(asOfMs),
        source: 'configured',
        modelled: false,
      })),
  };
}

export function createOnPremPriceSource(input: unknown, clock: Clock): PriceSource {
  const catalog = onPremCatalog(input);
  return { quotes: async (query) => filterQuotes(catalog.quotes(clock.now()), query) };
}
