// Every configured fleet (EC2, GCP, Azure, Slurm, Kubernetes) in one registry that answers which provider owns a pool or a node.
import { PROVIDERS, type Provider } from '../domain/pool.ts';
import type { CapacityProvider, ConnectorEntry, ConnectorRegistry } from '../domain/ports.ts';
import { createConnectors, type ConnectorsConfig } from './config.ts';

const isProvider = (text: string): text is Provider => (PROVIDERS as readonly string[]).includes(text);

export function createConnectorRegistry(
  entries: readonly (ConnectorEntry | CapacityProvider)[],
): ConnectorRegistry {
  const list: ConnectorEntry[] = entries.map((e) =>
    'provider' in e && typeof e.provider === 'object' ? e : { provider: e as CapacityProvider },
  );
  return {
    entries: list,
    providers: list.map((e) => e.provider),
    index(known = new Map()) {
      const owners = new Map(known);
      const kinds = new Map<CapacityProvider, Set<Provider>>(
        list.map((e) => [e.provider, new Set(e.kind ? [e.kind] : [])]),
      );
      for (const [poolId, provider] of known) {
        const prefix = poolId.split(':')[0] ?? '';
        if (isProvider(prefix)) kinds.get(provider)?.add(prefix);
      }
      let listed: Promise<void> | undefined;
      const listAll = () =>
        (listed ??= Promise.all(
          list.map(async ({ provider }) => {
            try {
              for (const pool of await provider.pools()) {
                if (!owners.has(pool.id)) owners.set(pool.id, provider);
                kinds.get(provider)?.add(pool.provider);
              }
            } catch {
              // A fleet that cannot list its pools owns none this run; its own run reports the failure.
            }
          }),
        ).then(() => undefined));
      const onlyOfKind = (kind: Provider) => {
        const of = list.filter((e) => kinds.get(e.provider)?.has(kind));
        return of.length === 1 ? of[0]!.provider : undefined;
      };
      return {
        async forPool(poolId) {
          if (!owners.has(poolId)) await listAll();
          return owners.get(poolId);
        },
        async forNode(node) {
          const byPool = owners.get(node.poolId) ?? onlyOfKind(node.provider);
          if (byPool) return byPool;
          await listAll();
          return owners.get(node.poolId) ?? onlyOfKind(node.provider);
        },
      };
    },
  };
}

const CONFIGURED_KINDS = [
  'slurm',
  'kubernetes',
  'gcp',
  'azure',
] as const satisfies readonly (keyof ConnectorsConfig & Provider)[];

export interface RegistryOptions {
  /** The EC2 fleet of this deployment (built from the deploy config's pools and launch template). */
  ec2?: CapacityProvider;
  fetch?: typeof fetch;
}

/**
 * The registry of every fleet the connectors config names, plus EC2 when given: what the capacity runs
 * (optimize, reclaim, interruption) take as their `providers`.
 */
export function connectorRegistryFromConfig(
  config: ConnectorsConfig,
  options: RegistryOptions = {},
): ConnectorRegistry {
  const entries: ConnectorEntry[] = options.ec2 ? [{ kind: 'aws', provider: options.ec2 }] : [];
  for (const kind of CONFIGURED_KINDS) {
    if (!config[kind]) continue;
    // One section at a time, so each fleet is known by its kind; Prometheus goes to the fleet it names.
    const [provider] = createConnectors(
      { [kind]: config[kind], prometheus: config.prometheus },
      options.fetch,
    );
    if (provider) entries.push({ kind, provider });
  }
  return createConnectorRegistry(entries);
}

/** What a capacity run may be given as its fleets: a registry, a list, or one provider per kind. */
export type ProvidersInput =
  ConnectorRegistry | readonly CapacityProvider[] | Partial<Record<Provider, CapacityProvider>>;

export function toConnectorRegistry(input: ProvidersInput): ConnectorRegistry {
  if (Array.isArray(input)) return createConnectorRegistry(input as readonly CapacityProvider[]);
  if ('index' in input && typeof input.index === 'function') return input as ConnectorRegistry;
  return createConnectorRegistry(
    Object.entries(input as Partial<Record<Provider, CapacityProvider>>)
      .filter((e): e is [Provider, CapacityProvider] => e[1] !== undefined)
      .map(([kind, provider]) => ({ kind, provider })),
  );
}
