// Forecasts: one item per (class, issuedAt) in the class's partition, newest first on demand.
import { zForecast, type Forecast } from '../domain/forecast.ts';
import type { ForecastRepository } from '../domain/ports.ts';
import { parseRfc3339 } from '../domain/time.ts';
import { encodeEntity } from './codec.ts';
import {
  decodeItem,
  packData,
  queryBetween,
  queryFirst,
  withThrottleRetry,
  type Item,
  type TableContext,
} from './io.ts';
import { PARTITION_KEY, SORT_KEY, sortableMs, storableRange } from './table.ts';
import { PutCommand } from '@aws-sdk/lib-dynamodb';

const classPartition = (classId: string) => `FORECAST#${classId}`;
const decode = (item: Item): Forecast => decodeItem(zForecast, item);

export function createForecastRepository(ctx: TableContext): ForecastRepository {
  return {
    async put(forecast) {
      const data = encodeEntity(zForecast, forecast, `forecast of class ${forecast.classId}`);
      const item = {
        [PARTITION_KEY]: classPartition(forecast.classId),
        [SORT_KEY]: sortableMs(parseRfc3339(forecast.issuedAt)),
        kind: 'forecast',
        ...packData(data),
      };
      await withThrottleRetry(ctx.retry, () =>
        ctx.client.send(new PutCommand({ TableName: ctx.tableName, Item: item })),
      );
    },

    async latest(classId) {
      const item = await queryFirst(ctx, {
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': PARTITION_KEY },
        ExpressionAttributeValues: { ':pk': classPartition(classId) },
        ScanIndexForward: false,
      });
      return item && decode(item);
    },

    async between(classId, fromMs, toMs) {
      const range = storableRange(fromMs, toMs);
      if (!range) return [];
      const items = await queryBetween(
        ctx,
        classPartition(classId),
        sortableMs(range.fromMs),
        sortableMs(range.toMs - 1),
      );
      return items.map(decode);
    },
  };
}
