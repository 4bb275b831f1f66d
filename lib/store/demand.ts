// Hourly class demand: one small item per (hour, class) in one partition, so the forecast's history is one Query.
import { zDemandHour, type DemandHour } from '../domain/demand.ts';
import type { DemandRepository } from '../domain/ports.ts';
import { encodeEntity } from './codec.ts';
import { batchWrite, decodeItem, packData, queryBetween, type Item, type TableContext } from './io.ts';
import { PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE, sortableMs, storableRange } from './table.ts';

/**
 * One partition for every class: writes are a few items an hour and a forecast run reads one contiguous range,
 * far below a partition's limits (100 classes × 28 days is ~67 000 items of ~110 B: 8 pages, ~1 000 read units).
 */
export const DEMAND_PK = 'DEMAND';
/** Past the longest history a forecast may read (120 days), and a year back for year-on-year looks. */
export const DEMAND_TTL_SECONDS = 400 * 86_400;

/** `<hour ms>#<classId>`: the fixed-width hour first, so the sort key is time order whatever the class id holds. */
export const demandSortKey = (point: Pick<DemandHour, 'classId' | 'hourStartMs'>) =>
  `${sortableMs(point.hourStartMs)}#${point.classId}`;

const decode = (item: Item): DemandHour => decodeItem(zDemandHour, item);

export function createDemandRepository(ctx: TableContext): DemandRepository {
  return {
    async put(points) {
      // Every point is checked before any is written.
      const requests = points.map((point) => {
        const data = encodeEntity(zDemandHour, point, `demand hour of class ${point?.classId}`);
        return {
          PutRequest: {
            Item: {
              [PARTITION_KEY]: DEMAND_PK,
              [SORT_KEY]: demandSortKey(point),
              kind: 'demand-hour',
              [TTL_ATTRIBUTE]: Math.floor(point.hourStartMs / 1000) + DEMAND_TTL_SECONDS,
              ...packData(data),
            },
          },
        };
      });
      await batchWrite(ctx, requests);
    },

    async between(fromMs, toMs) {
      const range = storableRange(fromMs, toMs);
      if (!range) return [];
      // `<to>` alone sorts before every `<to>#<class>`, so BETWEEN gives exactly [from, to).
      const items = await queryBetween(ctx, DEMAND_PK, sortableMs(range.fromMs), sortableMs(range.toMs));
      return items.map(decode);
    },
  };
}
