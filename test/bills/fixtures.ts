// Reads the billing fixtures, and builds attribution rows the way the attribute run writes them, for the bill tests.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AttributionRow } from '../../lib/domain/attribution.ts';
import { parseUsd } from '../../lib/domain/money.ts';
import type { Store } from '../../lib/domain/ports.ts';
import { DAY_MS, HOUR_MS, toRfc3339 } from '../../lib/domain/time.ts';
import { fixedClock } from '../../lib/memory/clock.ts';
import { createMemoryEventSink } from '../../lib/memory/event-sink.ts';
import { createMemoryObjectReader, runImportBill } from '../../lib/runs/import-bill.ts';

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

/** The AWS FOCUS export the reconciliation tests use: one day, 2026-03-02, account 444455556666. */
export const FOCUS_BILL = 'written-from-spec__aws-data-exports-focus-1.0__gpu-savings-plan.csv';
export const FOCUS_BILL_DAY = Date.parse('2026-03-02T00:00:00Z');

/** The attribution FOCUS_BILL is reconciled with: two nodes at list price in the given hours of its day. */
export async function seedListPriceAttribution(
  store: Pick<Store, 'attribution'>,
  hours: readonly number[] = [10, 11, 12],
): Promise<void> {
  for (const h of hours) {
    const at = FOCUS_BILL_DAY + h * HOUR_MS;
    await store.attribution.putHour(at, [
      attributionRow('i-0a1b2c3d4e5f60001', at, parseUsd('32.7726')),
      attributionRow('i-0a1b2c3d4e5f60002', at, parseUsd('5.672')),
    ]);
  }
}

/** Imports FOCUS_BILL into the store's bills through the import-bill run, as the function would. */
export async function importFocusBill(store: Store): Promise<void> {
  await runImportBill(
    {
      store,
      bills: store.bills,
      events: createMemoryEventSink(),
      clock: fixedClock(FOCUS_BILL_DAY + 2 * DAY_MS),
      objects: createMemoryObjectReader({ 'cur/focus.csv': fixture(FOCUS_BILL) }),
      log: () => {},
    },
    { bucket: 'cur', key: 'focus.csv' },
  );
}
