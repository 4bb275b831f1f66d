// Configured pools: one item per pool id in the POOLS partition, written from the deploy config at every deploy.
import type { PoolRepository } from '../domain/ports.ts';
import { zPool } from '../domain/pool.ts';
import { encodeEntity } from './codec.ts';
import { batchWrite, decodeItem, packData, queryPartition, type TableContext } from './io.ts';
import { PARTITION_KEY, SORT_KEY } from './table.ts';

/** One partition: a deployment manages tens of pools, read whole by the price refresh. */
const POOLS_PK = 'POOLS';

export function createPoolRepository(ctx: TableContext): PoolRepository {
  return {
    async put(pools) {
      const items = pools.map((pool) => ({
        [PARTITION_KEY]: POOLS_PK,
        [SORT_KEY]: pool.id,
        kind: 'pool',
        ...packData(encodeEntity(zPool, pool, `pool ${pool.id}`)),
      }));
      await batchWrite(
        ctx,
        items.map((Item) => ({ PutRequest: { Item } })),
      );
    },

    async list() {
      const items = await queryPartition(ctx, POOLS_PK);
      return items.map((item) => decodeItem(zPool, item));
    },

    async remove(poolIds) {
      await batchWrite(
        ctx,
        poolIds.map((id) => ({ DeleteRequest: { Key: { [PARTITION_KEY]: POOLS_PK, [SORT_KEY]: id } } })),
      );
    },
  };
}
