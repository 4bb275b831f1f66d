// What the bill says each resource cost in each hour: the lookup attribution takes to use billed rates instead of list prices.
import { splitLargestRemainder, type MicroUsd } from '../../domain/money.ts';
import { HOUR_MS, hourStart, parseRfc3339 } from '../../domain/time.ts';
import type { BillRow } from './bill-row.ts';

export interface BilledHourCost {
  effectiveUsd: MicroUsd;
  listUsd: MicroUsd;
}

/** The bill's cost of one resource for one hour, or undefined when the bill does not cover it. */
export type BillHourCost = (resourceId: string, hourStartMs: number) => BilledHourCost | undefined;

/**
 * The names a bill line's resource is known by, lower-cased (Azure writes one id in several cases): its id, the
 * last segment of a path-like id (an Azure VM's name, a GCE instance's number) and the resource name GCP gives.
 */
export function resourceKeys(row: Pick<BillRow, 'ResourceId' | 'Tags'>): string[] {
  const keys = new Set<string>();
  const id = row.ResourceId?.toLowerCase();
  if (id) {
    keys.add(id);
    const last = id.split('/').filter(Boolean).pop();
    if (last && last !== id) keys.add(last);
  }
  const name = row.Tags.x_ResourceName?.toLowerCase();
  if (name) keys.add(name);
  return [...keys];
}

/** Whether a line is a resource's own usage (what an instance-hour costs), as opposed to fees, taxes and credits. */
export function isResourceUsage(row: BillRow): boolean {
  return row.ChargeCategory === 'Usage' && row.CommitmentDiscountStatus !== 'Unused' && !!row.ResourceId;
}

/**
 * Indexes the usage lines of a bill by resource and hour. A line longer than an hour (Azure's daily lines) is
 * spread evenly over its hours by largest remainder, so the hours sum to the line exactly.
 */
export function billHourCosts(rows: readonly BillRow[]): BillHourCost {
  const byResource = new Map<string, Map<number, BilledHourCost>>();
  for (const row of rows) {
    if (!isResourceUsage(row)) continue;
    const startMs = hourStart(parseRfc3339(row.ChargePeriodStart));
    const endMs = Math.max(startMs + HOUR_MS, parseRfc3339(row.ChargePeriodEnd));
    const hours = Math.ceil((endMs - startMs) / HOUR_MS);
    const ones = Array.from({ length: hours }, () => 1);
    const effective = splitLargestRemainder(row.EffectiveCost, ones);
    const list = splitLargestRemainder(row.ListCost, ones);
    for (const key of resourceKeys(row)) {
      const perHour = byResource.get(key) ?? new Map<number, BilledHourCost>();
      byResource.set(key, perHour);
      for (let i = 0; i < hours; i++) {
        const at = startMs + i * HOUR_MS;
        const have = perHour.get(at) ?? { effectiveUsd: 0n, listUsd: 0n };
        perHour.set(at, {
          effectiveUsd: have.effectiveUsd + effective[i]!,
          listUsd: have.listUsd + list[i]!,
        });
      }
    }
  }
  return (resourceId, hourStartMs) => byResource.get(resourceId.toLowerCase())?.get(hourStartMs);
}
