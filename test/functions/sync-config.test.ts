// The sync-config door: invoked at deploy, it makes the table's pools and classes those of the stored config.
import type { Context } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { zWorkloadClass } from '../../lib/domain/workload.ts';
import { doorTable, EXAMPLE_CONFIG } from './support.ts';

describe('functions/sync-config', () => {
  it("writes the stored config's pools and classes, and retires what the config no longer names", async () => {
    const classes = [{ id: 'vision', team: 'vision' }];
    const { store, config } = await doorTable({ classes });
    await store.classes.put(zWorkloadClass.parse({ id: 'retired', team: 'old' }));
    vi.resetModules();
    const { handler } = await import('../../functions/sync-config.ts');
    const result = await handler({}, {} as Context);
    expect(result.pools.added.sort()).toEqual(config.pools.map((p) => p.id).sort());
    expect(result.classes).toMatchObject({ added: ['vision'], retired: ['retired'] });
    expect((await store.pools.list()).map((p) => p.id).sort()).toEqual(
      (EXAMPLE_CONFIG.pools as { id: string }[]).map((p) => p.id).sort(),
    );
    expect((await store.classes.list()).map((c) => c.id)).toEqual(['vision']);
  });
});
