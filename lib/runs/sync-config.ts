// The sync-config run (at every deploy): the deploy config's pools and workload classes into the table, and what the config no longer names retired.
import { z } from 'zod';
import { zPool } from '../domain/pool.ts';
import type { Store } from '../domain/ports.ts';
import { parseOrThrow } from '../domain/validation.ts';
import { poolServesClass, zWorkloadClass } from '../domain/workload.ts';

/** Ids must be unique: the table keys pools and classes by id, so a second entry would silently win. */
function uniqueIds<T extends { id: string }>(items: readonly T[], ctx: z.RefinementCtx, field: string): void {
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const first = seen.get(item.id);
    if (first !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: [field, i, 'id'],
        message: `duplicate id ${item.id} (also ${field}[${first}])`,
      });
    else seen.set(item.id, i);
  });
}

/** The part of the deploy config this run keeps in the table; other keys of the config are ignored. */
export const zSyncConfig = z
  .object({
    /** The pools this deployment manages. */
    pools: z.array(zPool).default([]),
    /** What demand is forecast and planned for; a class no pool serves cannot be planned. */
    classes: z.array(zWorkloadClass).default([]),
  })
  .superRefine((config, ctx) => {
    uniqueIds(config.pools, ctx, 'pools');
    uniqueIds(config.classes, ctx, 'classes');
  });
export type SyncConfig = z.output<typeof zSyncConfig>;
export type SyncConfigInput = z.input<typeof zSyncConfig>;

export interface SyncConfigPorts {
  store: Pick<Store, 'pools' | 'classes' | 'prices'>;
  log?: (entry: Record<string, unknown>) => void;
}

export interface SyncChanges {
  /** Ids in the config and not in the table before. */
  added: string[];
  /** Ids in both: rewritten from the config, so an edited pool or class takes effect. */
  kept: string[];
  /** Ids in the table and no longer in the config: deleted (a retired pool's price quotes with it). */
  retired: string[];
}

export interface SyncConfigResult {
  pools: SyncChanges;
  classes: SyncChanges;
  /** Classes that no configured pool serves (memory, interconnect, models): optimize would refuse to plan them. */
  unservedClasses: string[];
  /** One line per finding a person should act on. */
  warnings: string[];
}

function changes(stored: readonly string[], configured: readonly string[]): SyncChanges {
  const before = new Set(stored);
  const now = new Set(configured);
  return {
    added: configured.filter((id) => !before.has(id)),
    kept: configured.filter((id) => before.has(id)),
    retired: stored.filter((id) => !now.has(id)).sort(),
  };
}

/**
 * Makes the table's pools and classes what the config says. Running it twice with the same config changes
 * nothing more; a bad config is refused whole (naming the field) before anything is written.
 */
export async function syncConfig(
  ports: SyncConfigPorts,
  configInput: SyncConfigInput,
): Promise<SyncConfigResult> {
  const config = parseOrThrow(zSyncConfig, configInput, 'sync-config configuration');
  const log = ports.log ?? (() => {});
  const [storedPools, storedClasses] = await Promise.all([
    ports.store.pools.list(),
    ports.store.classes.list(),
  ]);
  const pools = changes(
    storedPools.map((p) => p.id),
    config.pools.map((p) => p.id),
  );
  const classes = changes(
    storedClasses.map((c) => c.id),
    config.classes.map((c) => c.id),
  );

  // Write first, retire after: a run cut short leaves an extra pool or class, never a missing one.
  await ports.store.pools.put(config.pools);
  for (const workload of config.classes) await ports.store.classes.put(workload);
  await ports.store.pools.remove(pools.retired);
  await ports.store.prices.removePools(pools.retired);
  await ports.store.classes.remove(classes.retired);

  const unservedClasses = config.classes
    .filter((c) => !config.pools.some((p) => poolServesClass(p, c)))
    .map((c) => c.id);
  const warnings = [
    ...(config.classes.length === 0
      ? ['no workload classes configured: forecast and optimize have nothing to plan for (add "classes")']
      : []),
    ...unservedClasses.map(
      (id) =>
        `class ${id}: no configured pool serves it (GPU memory, interconnect or model); it cannot be planned`,
    ),
  ];
  log({ run: 'sync-config', pools, classes, warnings });
  return { pools, classes, unservedClasses, warnings };
}
