// The embedded engine `simulate` uses: its own dynalite, a table, a working store, and a clean stop.
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { startEmbeddedDynamo } from '../../lib/store/embedded.ts';
import { sampleNode } from '../support/store-samples.ts';

describe('startEmbeddedDynamo', () => {
  it('serves a store on 127.0.0.1 until closed', async () => {
    const engine = await startEmbeddedDynamo({ tableName: 'simulate' });
    try {
      expect(engine.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      await engine.store.nodes.put(sampleNode('n1'));
      expect(await engine.store.nodes.get('n1')).toEqual(sampleNode('n1'));
      const { TableNames } = await engine.client.send(new ListTablesCommand({}));
      expect(TableNames).toEqual(['simulate']);
    } finally {
      await engine.close();
    }
    await expect(fetch(engine.endpoint)).rejects.toThrow();
  });
});
