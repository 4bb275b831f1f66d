// The savings ledger: every action with the counterfactual cost it avoided, by one rule for all levers.
import { z } from 'zod';
import { zId, zMicroUsd, zTimestamp } from './fields.ts';
import { zMode } from './plan.ts';
import { zRefusal } from './refusal.ts';

export const LEVERS = ['reclaim', 'rebalance', 'spot-move', 'commitment'] as const;
export const zLever = z.enum(LEVERS);
export type Lever = z.infer<typeof zLever>;

export const zLedgerEntry = z.object({
  entryId: zId,
  at: zTimestamp,
  lever: zLever,
  target: zId,
  reason: z.string().min(1),
  mode: zMode,
  /** `refused`: a guard or the provider said no; the entry saves nothing and says why in `refusal`. */
  status: z.enum(['recommended', 'done', 'failed', 'refused']),
  refusal: zRefusal.optional(),
  /** What the fleet would have cost over the period without the action, and what it costs with it. */
  counterfactualCostUsd: zMicroUsd,
  actualCostUsd: zMicroUsd,
  periodStart: zTimestamp,
  periodEnd: zTimestamp,
});
export type LedgerEntry = z.infer<typeof zLedgerEntry>;

/** The one rule: a lever saves what the fleet would have cost without it, less what it costs with it. */
export function avoidedCostUsd(entry: Pick<LedgerEntry, 'counterfactualCostUsd' | 'actualCostUsd'>): bigint {
  return entry.counterfactualCostUsd - entry.actualCostUsd;
}
