// What the GCP and Azure adapters share: pools and quotes from the bundled catalog, one-VM-at-a-time launches and guarded releases.
import { z } from 'zod';
import type { FleetNode } from '../domain/fleet.ts';
import { poolId, type Pool } from '../domain/pool.ts';
import type {
  CapacityProvider,
  LaunchFailureCode,
  LaunchOutcome,
  LaunchRequest,
  ReleaseOutcome,
  ReleaseRequest,
} from '../domain/ports.ts';
import type { PriceQuote } from '../domain/price.ts';
import { offeringQuotes, type Catalog } from '../pricing/catalog.ts';
import type { CatalogProvider, Offering } from '../pricing/offering.ts';

/**
 * Label (GCP) and tag (Azure) keys: lowercase and dashes, which both clouds accept. GCP label values cannot
 * hold a time or free text, so there the mark time is epoch milliseconds and the reason a metadata item.
 */
export const VM_KEYS = {
  /** "true" on VMs the optimizer may change; lists show only these. */
  managed: 'gpu-optimizer-managed',
  /** "true" on VMs that are never released, whatever the mode. */
  protected: 'gpu-optimizer-protected',
  markedAt: 'gpu-optimizer-marked-at',
  markReason: 'gpu-optimizer-mark-reason',
  team: 'team',
  project: 'project',
} as const;

/** VM names are this prefix and a random suffix; both clouds accept lowercase letters, digits and dashes. */
export const zVmNamePrefix = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,40}$/, 'a lowercase name start: letters, digits, dashes');

/** The catalog's offering for an instance type: the region's own first, else any region's (same GPUs). */
export function catalogOffering(
  catalog: Catalog,
  provider: CatalogProvider,
  instanceType: string,
  region?: string,
): Offering | undefined {
  const all = catalog.offerings.filter((o) => o.provider === provider && o.instanceType === instanceType);
  return all.find((o) => o.region === region) ?? all[0];
}

/** One pool per zone × instance type, its GPUs from the catalog; types the catalog does not know are returned apart. */
export function zonalPools(
  catalog: Catalog,
  provider: CatalogProvider,
  region: string,
  zones: readonly string[],
  instanceTypes: readonly string[],
): { pools: Pool[]; unknownTypes: string[] } {
  const pools: Pool[] = [];
  const unknownTypes: string[] = [];
  for (const type of instanceTypes) {
    const offering = catalogOffering(catalog, provider, type, region);
    if (!offering) {
      unknownTypes.push(type);
      continue;
    }
    for (const zone of zones) {
      pools.push({
        ...catalog.poolFor(offering),
        id: poolId(provider, region, zone, type),
        region,
        zone,
      });
    }
  }
  return { pools, unknownTypes };
}

/**
 * The catalog's list prices for these instance types in this region. Clouds price a region, not a zone, so
 * the quotes carry the catalog's region-wide pool ids (zone REGION_WIDE_ZONE); the planner maps zones to them.
 */
export function regionQuotes(
  catalog: Catalog,
  provider: CatalogProvider,
  region: string,
  instanceTypes: readonly string[],
): PriceQuote[] {
  const types = new Set(instanceTypes);
  return catalog.offerings
    .filter((o) => o.provider === provider && o.region === region && types.has(o.instanceType))
    .flatMap((o) => offeringQuotes(o, catalog.poolFor(o).id, o.asOf, catalog.spotRiskFor(o)));
}

export interface ClassifiedError {
  code: LaunchFailureCode;
  message: string;
}

/**
 * Launches `count` VMs of a pool one create call at a time (both clouds create one VM per call) and stops at
 * the first failure: a zone out of capacity or a quota reached will refuse the next VM too, so the rest is
 * reported for the run to take to the next pool. Only spot and on-demand are bought this way.
 */
export async function launchOneByOne(
  request: LaunchRequest,
  pools: ReadonlyMap<string, Pool>,
  cloud: string,
  createOne: (pool: Pool) => Promise<FleetNode>,
  classify: (error: unknown) => ClassifiedError,
): Promise<LaunchOutcome> {
  const failure = (count: number, code: LaunchFailureCode, message: string): LaunchOutcome['failures'] => [
    { poolId: request.poolId, option: request.option, count, code, message },
  ];
  const pool = pools.get(request.poolId);
  if (!pool)
    return {
      launched: [],
      failures: failure(request.count, 'unsupported', `${cloud} has no pool ${request.poolId}`),
    };
  if (request.option !== 'spot' && request.option !== 'on-demand') {
    return {
      launched: [],
      failures: failure(
        request.count,
        'unsupported',
        `${cloud} launches spot or on-demand, not ${request.option}`,
      ),
    };
  }
  const launched: FleetNode[] = [];
  for (let k = 0; k < request.count; k++) {
    try {
      launched.push(await createOne(pool));
    } catch (error) {
      const { code, message } = classify(error);
      return { launched, failures: failure(request.count - k, code, message) };
    }
  }
  return { launched, failures: [] };
}

export interface ReleasableVm {
  managed: boolean;
  /** Why the VM may not be released, when it may not. */
  protectedBy?: string;
}

/** The protection a label or tag set carries, in words; undefined when it carries none. */
export function protectedByLabel(labels: Record<string, string> | null | undefined): string | undefined {
  return labels?.[VM_KEYS.protected] === 'true' ? `labelled ${VM_KEYS.protected}=true` : undefined;
}

/** What both clouds offer: stop (GCP stop, Azure deallocate) and terminate (delete). */
export type VmReleaseMethod = 'stop' | 'terminate';

/**
 * Releases each managed, unprotected GPU VM; everything else is refused with its reason, never thrown.
 * `find` reads the VM itself (not the managed list), so an unmanaged VM is refused as unmanaged, not unknown.
 */
export async function releaseGuarded<T extends ReleasableVm>(
  request: ReleaseRequest,
  cloud: string,
  find: (nodeId: string) => Promise<T | undefined>,
  release: (method: VmReleaseMethod, nodeId: string) => Promise<void>,
  describeError: (error: unknown) => string,
): Promise<ReleaseOutcome> {
  const { method, nodeIds } = request;
  if (method !== 'stop' && method !== 'terminate') {
    const reason = `method ${method} not offered by ${cloud}: use stop or terminate`;
    return { released: [], refused: nodeIds.map((nodeId) => ({ nodeId, reason })) };
  }
  const outcome: ReleaseOutcome = { released: [], refused: [] };
  for (const nodeId of nodeIds) {
    let vm: T | undefined;
    try {
      vm = await find(nodeId);
    } catch (error) {
      outcome.refused.push({ nodeId, reason: `provider error: ${describeError(error)}` });
      continue;
    }
    if (!vm) {
      outcome.refused.push({ nodeId, reason: 'unknown node: no GPU VM with this id in this fleet' });
      continue;
    }
    if (vm.protectedBy) {
      outcome.refused.push({ nodeId, reason: `protected: ${vm.protectedBy}` });
      continue;
    }
    if (!vm.managed) {
      outcome.refused.push({ nodeId, reason: `unmanaged: not labelled ${VM_KEYS.managed}=true` });
      continue;
    }
    try {
      await release(method, nodeId);
      outcome.released.push(nodeId);
    } catch (error) {
      outcome.refused.push({ nodeId, reason: `provider error: ${describeError(error)}` });
    }
  }
  return outcome;
}

/** A short random suffix for VM names: both clouds want a name per VM, unique in its zone or group. */
export function vmNameSuffix(): string {
  return crypto.randomUUID().replaceAll('-', '').slice(0, 10);
}

/**
 * A provider built on first use. The cloud SDKs take a second or more to load (Compute Engine's protos alone
 * are tens of MB), so a poll that does not reach that cloud never pays for them.
 */
export function lazyProvider(name: string, build: () => Promise<CapacityProvider>): CapacityProvider {
  let built: Promise<CapacityProvider> | undefined;
  const get = () => (built ??= build());
  return {
    name,
    pools: async () => (await get()).pools(),
    nodes: async () => (await get()).nodes(),
    prices: async () => (await get()).prices(),
    launch: async (request) => (await get()).launch(request),
    release: async (request) => (await get()).release(request),
    mark: async (nodeId, mark) => (await get()).mark(nodeId, mark),
    unmark: async (nodeId) => (await get()).unmark(nodeId),
    utilization: async (fromMs, toMs) => (await get()).utilization(fromMs, toMs),
    queue: async () => (await get()).queue(),
  };
}

/**
 * Imports a cloud SDK that is not bundled into the Lambda functions (it is large and only some fleets need it);
 * when it is missing, the error says which package to provide.
 */
export async function importOptionalSdk<T>(load: () => Promise<T>, packageName: string): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new Error(
        `this connector needs ${packageName}: install it, or add it to the function as a Lambda layer`,
      );
    }
    throw error;
  }
}
