// One assembly: every port a run needs, built from one config for AWS, the embedded DynamoDB (dynalite) or memory.
import { connectorRegistryFromConfig, createConnectorRegistry } from '../connectors/registry.ts';
import type {
  CapacityProvider,
  Clock,
  ConnectorEntry,
  ConnectorRegistry,
  EventSink,
  ReadSecret,
  Store,
} from '../domain/ports.ts';
import type { Pool } from '../domain/pool.ts';
import {
  createCachedPriceSource,
  type CachedPriceSource,
  type StalePriceWarning,
} from '../pricing/cached-price-source.ts';
import { deferredProvider, createAwsEventSink, createAwsStore, once } from '../adapters/aws-ports.ts';
import { systemClock } from '../adapters/system-clock.ts';
import type { DeployConfig, DeployConnectors } from './config.ts';
import { redactSecrets } from '../domain/redact.ts';
import { resolveConnectors, secretsManagerReader } from './secrets.ts';

export type Engine = 'aws' | 'embedded' | 'memory';

export type AssemblyLog = (
  level: 'info' | 'warn' | 'error',
  message: string,
  fields?: Record<string, unknown>,
) => void;

export interface AssemblyOptions {
  engine: Engine;
  config: DeployConfig;
  /** aws: the table and bus the stack made. */
  tableName?: string;
  eventBusName?: string;
  /** embedded: a store over dynalite the caller started (its lifetime is the caller's); memory: one is made. */
  store?: Store;
  events?: EventSink;
  clock?: Clock;
  /** Fleets besides the configured ones (the simulator's cloud); they stand in for EC2 when given. */
  fleets?: readonly CapacityProvider[];
  readSecret?: ReadSecret;
  fetch?: typeof fetch;
  log?: AssemblyLog;
}

export interface Assembly {
  config: DeployConfig;
  clock: Clock;
  store(): Promise<Store>;
  events(): Promise<EventSink>;
  /** The prices the refresh run stored, with a warning (logged, redacted) when they are stale. */
  prices(): Promise<CachedPriceSource>;
  /** Every configured fleet, EC2 per region and the connectors, for the capacity runs. */
  providers(): Promise<ConnectorRegistry>;
  /** The non-AWS fleets only, for the connectors poll. */
  connectors(): Promise<readonly CapacityProvider[]>;
}

/** The AWS pools of each region, in the order the config names the regions. */
function poolsByRegion(config: DeployConfig): Map<string, Pool[]> {
  const byRegion = new Map<string, Pool[]>();
  for (const pool of config.pools) {
    if (pool.provider !== 'aws') continue;
    byRegion.set(pool.region, [...(byRegion.get(pool.region) ?? []), pool]);
  }
  return byRegion;
}

/** One EC2 provider per region with pools, its SDK loaded at its first call (recommend mode may never call it). */
function ec2Providers(config: DeployConfig): CapacityProvider[] {
  return [...poolsByRegion(config)].map(([region, pools]) => {
    const launch =
      region === config.region
        ? { launchTemplateId: config.launchTemplateId, subnets: config.subnets }
        : config.regions[region]!;
    return deferredProvider(`aws-ec2-${region}`, async () => {
      const [{ EC2Client }, { createEc2Provider }] = await Promise.all([
        import('@aws-sdk/client-ec2'),
        import('../connectors/aws-ec2/provider.ts'),
      ]);
      return createEc2Provider({
        ec2: new EC2Client({ region }),
        region,
        pools,
        launchTemplate: { launchTemplateId: launch.launchTemplateId },
        subnets: launch.subnets,
      });
    });
  });
}

/** A secret reader whose failure names the secret and what to check. */
function namingSecret(readSecret: ReadSecret): ReadSecret {
  return (name) =>
    readSecret(name).catch((error: unknown) => {
      const why = error instanceof Error ? error.message : String(error);
      throw new Error(
        `the Secrets Manager secret ${name} could not be read (${why}): check that it exists, holds the token, and that the stack's role may read it`,
      );
    });
}

export function assemble(options: AssemblyOptions): Assembly {
  const { config, engine } = options;
  const clock = options.clock ?? systemClock;
  const log: AssemblyLog = options.log ?? (() => {});
  const readSecret = options.readSecret ?? secretsManagerReader();
  const required = (value: string | undefined, what: string) => {
    if (!value) throw new Error(`the ${engine} assembly needs ${what}`);
    return value;
  };

  const store = once(async (): Promise<Store> => {
    if (options.store) return options.store;
    if (engine === 'aws') return createAwsStore(required(options.tableName, 'a table name'));
    // The memory engine is loaded on demand: a deployed function never carries it.
    if (engine === 'memory') return (await import('../memory/store.ts')).createMemoryStore();
    throw new Error('the embedded assembly needs the store over its dynalite (startEmbeddedDynamo().store)');
  });
  const events = once(async (): Promise<EventSink> => {
    if (options.events) return options.events;
    if (engine === 'aws') return createAwsEventSink(required(options.eventBusName, 'an event bus name'));
    return (await import('../memory/event-sink.ts')).createMemoryEventSink();
  });
  const connectors = once(async (): Promise<ConnectorRegistry> => {
    if (!config.connectors) return createConnectorRegistry([]);
    const { slurm, kubernetes, ...rest } = config.connectors;
    // Each fleet's secret is read on its own: a fleet whose secret cannot be read fails its own part, not the run.
    const registryOptions = { ...(options.fetch ? { fetch: options.fetch } : {}) };
    const resolve = (deployed: DeployConnectors) => resolveConnectors(deployed, namingSecret(readSecret));
    const unreadable: ConnectorEntry[] = [];
    const withSecret = async (kind: 'slurm' | 'kubernetes', deployed: DeployConnectors) => {
      if (!deployed[kind]) return {};
      try {
        return await resolve(deployed);
      } catch {
        // Its calls fail with the reason until a later call reads the secret (the container outlives a fix).
        const provider = deferredProvider(kind, async () => {
          const resolved = await resolve(deployed);
          return connectorRegistryFromConfig({ ...resolved, prometheus: rest.prometheus }, registryOptions)
            .providers[0]!;
        });
        unreadable.push({ kind, provider });
        return {};
      }
    };
    const [slurmResolved, kubernetesResolved] = await Promise.all([
      withSecret('slurm', { slurm }),
      withSecret('kubernetes', { kubernetes }),
    ]);
    const registry = connectorRegistryFromConfig(
      { ...rest, ...slurmResolved, ...kubernetesResolved },
      registryOptions,
    );
    return unreadable.length === 0 ? registry : createConnectorRegistry([...registry.entries, ...unreadable]);
  });
  const providers = once(async (): Promise<ConnectorRegistry> => {
    const fleets = options.fleets ?? (engine === 'aws' ? ec2Providers(config) : []);
    const configured = await connectors();
    return createConnectorRegistry([
      ...fleets.map((provider) => ({ ...(options.fleets ? {} : { kind: 'aws' as const }), provider })),
      ...configured.entries,
    ]);
  });
  const prices = once(async () =>
    createCachedPriceSource({
      store: await store(),
      clock,
      config: config.optimize.prices,
      onStale: (warning: StalePriceWarning) => log('warn', warning.message, redactSecrets({ ...warning })),
    }),
  );
  return {
    config,
    clock,
    store,
    events,
    prices,
    providers,
    connectors: async () => (await connectors()).providers,
  };
}
