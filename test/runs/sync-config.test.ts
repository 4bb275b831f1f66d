// The sync-config run on dynalite: the deploy config's pools and classes land in an empty table, a redeploy retires what the config dropped, and a second run changes nothing.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseUsd } from '../../lib/domain/money.ts';
import type { PriceQuote } from '../../lib/domain/price.ts';
import { ValidationError } from '../../lib/domain/validation.ts';
import { createMemoryStore } from '../../lib/memory/store.ts';
import { syncConfig, zSyncConfig, type SyncConfigInput } from '../../lib/runs/sync-config.ts';
import { freshDynamoStore, sortedTable } from '../support/dynamo.ts';

const example = JSON.parse(
  readFileSync(new URL('../../config/example.json', import.meta.url), 'utf8'),
) as SyncConfigInput;
const config = zSyncConfig.parse(example);

const quote = (poolId: string): PriceQuote => ({
  poolId,
  option: 'on-demand',
  usdPerHour: parseUsd('1.006000'),
  asOf: '2026-06-01T00:00:00Z',
  source: 'aws-pricing-api',
  modelled: false,
});

describe('sync-config', () => {
  it('writes the example config’s pools and classes into an empty table', async () => {
    const { store } = await freshDynamoStore();
    expect(config.pools.length).toBeGreaterThan(0);
    expect(config.classes.length).toBeGreaterThan(0);

    const result = await syncConfig({ store }, example);

    expect(result.pools.added).toEqual(config.pools.map((p) => p.id));
    expect(result.classes.added).toEqual(config.classes.map((c) => c.id));
    expect(result.warnings).toEqual([]);
    expect((await store.pools.list()).sort((a, b) => a.id.localeCompare(b.id))).toEqual(
      [...config.pools].sort((a, b) => a.id.localeCompare(b.id)),
    );
    expect((await store.classes.list()).map((c) => c.id).sort()).toEqual(
      config.classes.map((c) => c.id).sort(),
    );
  });

  it('is idempotent: a second deploy with the same config leaves the table as it was', async () => {
    const { store, client, tableName } = await freshDynamoStore();
    await syncConfig({ store }, example);
    const first = await sortedTable(client, tableName);
    const again = await syncConfig({ store }, example);
    expect(again.pools).toEqual({ added: [], kept: config.pools.map((p) => p.id), retired: [] });
    expect(again.classes.added).toEqual([]);
    expect(await sortedTable(client, tableName)).toEqual(first);
  });

  it('retires pools and classes the config dropped, with the retired pool’s quotes, and keeps the rest', async () => {
    const { store } = await freshDynamoStore();
    await syncConfig({ store }, example);
    const [kept, dropped] = config.pools;
    await store.prices.put([quote(kept!.id), quote(dropped!.id)]);
    const edited = { ...kept!, bootSeconds: 120 };

    const result = await syncConfig({ store }, { pools: [edited], classes: config.classes.slice(0, 1) });

    expect(result.pools.retired).toEqual([dropped!.id]);
    expect(result.classes.retired).toEqual(
      config.classes
        .slice(1)
        .map((c) => c.id)
        .sort(),
    );
    expect(await store.pools.list()).toEqual([edited]);
    expect((await store.classes.list()).map((c) => c.id)).toEqual([config.classes[0]!.id]);
    expect((await store.prices.all()).map((q) => q.poolId)).toEqual([kept!.id]);
  });

  it('refuses a config with a duplicate pool id, naming the field, and writes nothing', async () => {
    const store = createMemoryStore();
    const bad = { pools: [config.pools[0]!, config.pools[0]!], classes: config.classes };
    await expect(syncConfig({ store }, bad)).rejects.toThrow(ValidationError);
    await expect(syncConfig({ store }, bad)).rejects.toThrow(/pools\[1\]\.id: duplicate id/);
    expect(await store.pools.list()).toEqual([]);
    expect(await store.classes.list()).toEqual([]);
  });

  it('warns of a class no configured pool can serve, which optimize would refuse', async () => {
    const store = createMemoryStore();
    const result = await syncConfig(
      { store },
      {
        pools: config.pools,
        classes: [{ id: 'needs-h100', team: 'research', allowedGpuModels: ['H100'] }],
      },
    );
    expect(result.unservedClasses).toEqual(['needs-h100']);
    expect(result.warnings[0]).toMatch(/class needs-h100: no configured pool serves it/);
  });
});
