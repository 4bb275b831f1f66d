// The reclaim policy: mode, kill switch, caps (all applied by the actuator) and how each provider gives a node back.
import { z } from 'zod';
import { zReleaseMethod, type FleetNode, type ReleaseMethod } from '../../domain/fleet.ts';
import { zMode } from '../../domain/plan.ts';
import { PROVIDERS } from '../../domain/pool.ts';
import { releaseMethodFor as releaseMethodForNode } from '../../domain/release-methods.ts';

export const zReclaimPolicy = z.object({
  mode: zMode.default('recommend'),
  /** Stops every mark, release and unmark; the run still reports what it sees. */
  killSwitch: z.boolean().default(false),
  maxReleasesPerRun: z.number().int().min(0).default(5),
  /** At most this share of a pool's live nodes released in one run (rounded down). */
  maxPoolReleasePct: z.number().min(0).max(100).default(25),
  releaseMethods: z
    .object({
      byPool: z.record(z.string(), zReleaseMethod).default({}),
      byProvider: z.partialRecord(z.enum(PROVIDERS), zReleaseMethod).default({}),
    })
    .default({ byPool: {}, byProvider: {} }),
});
export type ReclaimPolicy = z.infer<typeof zReclaimPolicy>;
export type ReclaimPolicyInput = z.input<typeof zReclaimPolicy>;

/** The method for one node: the policy's by pool, else by provider, else the one default table. */
export function releaseMethodFor(
  policy: Pick<ReclaimPolicy, 'releaseMethods'>,
  node: Pick<FleetNode, 'poolId' | 'provider' | 'purchaseOption'>,
): ReleaseMethod {
  return releaseMethodForNode(node, policy.releaseMethods);
}
