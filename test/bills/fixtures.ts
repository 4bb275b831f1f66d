// Reads the billing fixtures, and builds attribution rows the way the attribute run writes them, for the bill tests.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AttributionRow } from '../../lib/domain/attribution.ts';
import { HOUR_MS, toRfc3339 } from '../../lib/domain/time.ts';

export const BILLING_DIR = fileURLToPath(new URL('../fixtures/billing/', import.meta.url));

export function fixture(name: string): Buffer {
  return readFileSync(BILLING_DIR + name);
}

/** One node-hour attributed to one job at the given effective and list cost. */
export function attributionRow(
  resourceId: string,
  hourStartMs: number,
  effectiveUsd: bigint,
  listUsd = effectiveUsd,
  provider = 'aws',
): AttributionRow {
  return {
    BilledCost: effectiveUsd,
    EffectiveCost: effectiveUsd,
    ListCost: listUsd,
    ChargeCategory: 'Usage',
    ChargePeriodStart: toRfc3339(hourStartMs),
    ChargePeriodEnd: toRfc3339(hourStartMs + HOUR_MS),
    PricingCategory: 'Standard',
    ResourceId: resourceId,
    ResourceType: 'Virtual Machine',
    RegionId: 'us-east-1',
    SkuPriceId: `${provider}:us-east-1:x|on-demand`,
    Tags: { provider },
    x_JobId: 'job-1',
    x_User: 'alice',
    x_Project: 'detector',
    x_Team: 'vision',
    x_PoolId: `${provider}:us-east-1:x`,
    x_PurchaseOption: 'on-demand',
    x_GpuSeconds: 3600 * 8,
    x_CostSource: 'list',
  };
}
