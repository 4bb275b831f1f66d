// The reclaim policy: mode, kill switch, caps and how each provider gives a node back.
import { z } from 'zod';
import { zReleaseMethod, type FleetNode, type ReleaseMethod } from '../../domain/fleet.ts';
import { zMode } from '../../domain/plan.ts';
import { PROVIDERS, type Provider } from '../../domain/pool.ts';

/** How each kind of fleet gives a node back when nothing is configured: the gentlest method that stops the bill. */
export const DEFAULT_RELEASE_METHODS: Record<Provider, ReleaseMethod> = {
  aws: 'stop',
  gcp: 'stop',
  azure: 'stop',
  onprem: 'power-down',
  slurm: 'power-down',
  kubernetes: 'drain',
  sim: 'terminate',
};

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

/** The method for one node: the pool's, else the provider's, else the default; a spot VM cannot be stopped, so it is terminated. */
export function releaseMethodFor(
  policy: Pick<ReclaimPolicy, 'releaseMethods'>,
  node: Pick<FleetNode, 'poolId' | 'provider' | 'purchaseOption'>,
): ReleaseMethod {
  const configured =
    policy.releaseMethods.byPool[node.poolId] ?? policy.releaseMethods.byProvider[node.provider];
  if (configured) return configured;
  const fallback = DEFAULT_RELEASE_METHODS[node.provider];
  return node.purchaseOption === 'spot' && fallback === 'stop' ? 'terminate' : fallback;
}

/** The state a node is in once released by a method. */
export function stateAfterRelease(method: ReleaseMethod): FleetNode['state'] {
  switch (method) {
    case 'stop':
    case 'hibernate':
      return 'stopped';
    case 'terminate':
      return 'terminated';
    case 'drain':
      return 'drained';
    case 'power-down':
      return 'powered-down';
  }
}
