// The fleet a capacity run acts on: every provider's pools and live nodes, with what ingest knows of each node.
import { toConnectorRegistry, type ProvidersInput } from '../connectors/registry.ts';
import type { FleetNode } from '../domain/fleet.ts';
import type { Pool } from '../domain/pool.ts';
import type { CapacityProvider, Store } from '../domain/ports.ts';

/** A provider that failed to answer; its pools were left out of the run. */
export interface ProviderFailure {
  provider: string;
  error: string;
}

/** A provider's node with the facts only its agent knows (jobs, last busy, last login) from the stored node. */
function withAgentFacts(listed: FleetNode, stored: FleetNode): FleetNode {
  return {
    ...listed,
    runningJobs: listed.runningJobs.length > 0 ? listed.runningJobs : stored.runningJobs,
    lastSeenAt: listed.lastSeenAt ?? stored.lastSeenAt,
    lastBusyAt: listed.lastBusyAt ?? stored.lastBusyAt,
    lastLoginAt: listed.lastLoginAt ?? stored.lastLoginAt,
    interruptionNoticeAt: listed.interruptionNoticeAt ?? stored.interruptionNoticeAt,
  };
}

/** Pools and live nodes from every provider; a failing provider is reported and skipped, not fatal. */
export async function gatherFleet(fleets: ProvidersInput, store: Store) {
  const providers = toConnectorRegistry(fleets).providers;
  const pools: Pool[] = [];
  const nodes = new Map<string, FleetNode>();
  const owner = new Map<string, CapacityProvider>();
  const failures: ProviderFailure[] = [];
  for (const provider of providers) {
    try {
      const [providerPools, providerNodes] = await Promise.all([provider.pools(), provider.nodes()]);
      for (const pool of providerPools) {
        pools.push(pool);
        owner.set(pool.id, provider);
      }
      for (const node of providerNodes) nodes.set(node.nodeId, node);
    } catch (error) {
      failures.push({ provider: provider.name, error: (error as Error).message });
    }
  }
  // What ingest recorded fills in for nodes the providers did not list (agents, connectors polled earlier),
  // and tells what a cloud API cannot: the jobs on a node and when it was last busy, which guard releases.
  for (const stored of await store.nodes.list()) {
    const listed = nodes.get(stored.nodeId);
    if (!listed) nodes.set(stored.nodeId, stored);
    else nodes.set(stored.nodeId, withAgentFacts(listed, stored));
  }
  return { pools, nodes: [...nodes.values()], owner, failures };
}
