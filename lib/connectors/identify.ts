// Which fleet node an exporter's host is: a DCGM "Hostname" matched to a Slurm or Kubernetes node name.
import type { FleetNode } from '../domain/fleet.ts';
import type { NodeIdentity } from '../domain/usage.ts';

function shortName(host: string): string {
  return host.split('.')[0]!.toLowerCase();
}

/** The name a provider gives a node at the end of its id ("slurm:lab:gpu1" → "gpu1"). */
function nodeNameOf(node: FleetNode): string {
  return shortName(node.nodeId.slice(node.nodeId.lastIndexOf(':') + 1));
}

export function identityOf(node: FleetNode): NodeIdentity {
  return {
    nodeId: node.nodeId,
    provider: node.provider,
    region: node.region,
    zone: node.zone,
    instanceType: node.instanceType,
    poolId: node.poolId,
    labels: node.labels,
  };
}

/** Matches hosts to the fleet's nodes by short host name; hosts of no node are left out (not ours). */
export function identifyByNodeName(nodes: () => Promise<FleetNode[]>) {
  return async (hosts: readonly string[]): Promise<Map<string, NodeIdentity>> => {
    const byName = new Map((await nodes()).map((n) => [nodeNameOf(n), n]));
    const out = new Map<string, NodeIdentity>();
    for (const host of hosts) {
      const node = byName.get(shortName(host));
      if (node) out.set(host, identityOf(node));
    }
    return out;
  };
}
