// Calibrations: one small item per class, advanced by a conditional write so a retried run scores nothing twice.
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { zCalibration, type Calibration } from '../domain/calibration.ts';
import type { CalibrationRepository } from '../domain/ports.ts';
import { parseRfc3339 } from '../domain/time.ts';
import { encodeEntity } from './codec.ts';
import {
  decodeItem,
  getItem,
  isConditionFailed,
  packData,
  withThrottleRetry,
  type TableContext,
} from './io.ts';
import { PARTITION_KEY, SORT_KEY } from './table.ts';

export const CALIBRATION_PK = 'CALIBRATION';
/** The scored forecast's issue time (epoch ms), outside the packed data so the write can be conditional on it. */
const SCORED_ATTRIBUTE = 'scoredMs';

export function createCalibrationRepository(ctx: TableContext): CalibrationRepository {
  return {
    async get(classId) {
      const item = await getItem(ctx, { [PARTITION_KEY]: CALIBRATION_PK, [SORT_KEY]: classId });
      return item && decodeItem(zCalibration, item);
    },

    async advance(calibration: Calibration) {
      const data = encodeEntity(zCalibration, calibration, `calibration of class ${calibration.classId}`);
      const scoredMs = parseRfc3339(calibration.scoredIssuedAt);
      try {
        await withThrottleRetry(ctx.retry, () =>
          ctx.client.send(
            new PutCommand({
              TableName: ctx.tableName,
              Item: {
                [PARTITION_KEY]: CALIBRATION_PK,
                [SORT_KEY]: calibration.classId,
                kind: 'calibration',
                [SCORED_ATTRIBUTE]: scoredMs,
                ...packData(data),
              },
              ConditionExpression: 'attribute_not_exists(#pk) OR #scored < :scored',
              ExpressionAttributeNames: { '#pk': PARTITION_KEY, '#scored': SCORED_ATTRIBUTE },
              ExpressionAttributeValues: { ':scored': scoredMs },
            }),
          ),
        );
        return 'stored';
      } catch (error) {
        if (isConditionFailed(error)) return 'stale';
        throw error;
      }
    },
  };
}
