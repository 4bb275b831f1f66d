// How each kind of fleet gives a node back: the one default table, the configured overrides, and the state after.
import type { FleetNode, ReleaseMethod } from './fleet.ts';
import type { Provider, PurchaseOption } from './pool.ts';

/** Per provider, the default method for an on-demand (or owned) node and for a spot node. */
export const DEFAULT_RELEASE_METHODS: Readonly<
  Record<Provider, { readonly default: ReleaseMethod; readonly spot: ReleaseMethod }>
> = {
  // Stop, not terminate: a release made in error is undone by a start (disks and the user's state survive,
  // only storage is billed); a spot VM cannot be stopped, so spot terminates.
  aws: { default: 'stop', spot: 'terminate' },
  gcp: { default: 'stop', spot: 'terminate' },
  azure: { default: 'stop', spot: 'terminate' },
  // Drain: no new job starts and a running one finishes; it is undone by a resume. Power-down needs Slurm's
  // power saving configured, so it is chosen per pool (releaseMethods.byPool) where the cluster has it.
  slurm: { default: 'drain', spot: 'drain' },
  kubernetes: { default: 'drain', spot: 'drain' },
  // Owned hardware with a power controller: power is the only cost a release saves.
  onprem: { default: 'power-down', spot: 'power-down' },
  // The simulated cloud bills until a node is gone.
  sim: { default: 'terminate', spot: 'terminate' },
};

/** Methods configured by pool id (first) or by provider, over the default table. */
export interface ReleaseMethodOverrides {
  byPool?: Readonly<Record<string, ReleaseMethod>>;
  byProvider?: Readonly<Partial<Record<Provider, ReleaseMethod>>>;
}

/** The method for one node: its pool's, else its provider's, else the table's (which terminates spot VMs). */
export function releaseMethodFor(
  node: Pick<FleetNode, 'poolId' | 'provider'> & { purchaseOption: PurchaseOption },
  overrides: ReleaseMethodOverrides = {},
): ReleaseMethod {
  const defaults = DEFAULT_RELEASE_METHODS[node.provider];
  const configured = overrides.byPool?.[node.poolId] ?? overrides.byProvider?.[node.provider];
  return configured ?? (node.purchaseOption === 'spot' ? defaults.spot : defaults.default);
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
