// Price quotes: the current quote per (pool, option, term) in the PRICES partition.
import { zPriceQuote } from '../domain/price.ts';
import type { PriceRepository } from '../domain/ports.ts';
import { encodeEntity } from './codec.ts';
import { batchWrite, decodeItem, packData, queryPartition, type TableContext } from './io.ts';
import { storedPriceKey } from './rules.ts';
import { PARTITION_KEY, SORT_KEY } from './table.ts';

/** One partition: a fleet has hundreds of pool × option quotes, read whole by every plan. */
const PRICES_PK = 'PRICES';

export function createPriceRepository(ctx: TableContext): PriceRepository {
  return {
    async put(quotes) {
      await batchWrite(
        ctx,
        quotes.map((quote) => ({
          PutRequest: {
            Item: {
              [PARTITION_KEY]: PRICES_PK,
              [SORT_KEY]: storedPriceKey(quote),
              kind: 'price',
              ...packData(encodeEntity(zPriceQuote, quote, `price of ${quote.poolId} ${quote.option}`)),
            },
          },
        })),
      );
    },

    async all() {
      const items = await queryPartition(ctx, PRICES_PK);
      return items.map((item) => decodeItem(zPriceQuote, item));
    },

    async removePools(poolIds) {
      if (poolIds.length === 0) return;
      const retired = new Set(poolIds);
      // The pool id is read from the stored quote, not cut from the sort key: ids may hold any character.
      const doomed = (await queryPartition(ctx, PRICES_PK)).filter((item) =>
        retired.has(decodeItem(zPriceQuote, item).poolId),
      );
      await batchWrite(
        ctx,
        doomed.map((item) => ({
          DeleteRequest: { Key: { [PARTITION_KEY]: PRICES_PK, [SORT_KEY]: item[SORT_KEY] } },
        })),
      );
    },
  };
}
