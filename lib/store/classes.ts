// Workload classes: one item per class id in the CLASSES partition.
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { WorkloadClassRepository } from '../domain/ports.ts';
import { zWorkloadClass } from '../domain/workload.ts';
import { encodeEntity } from './codec.ts';
import {
  batchWrite,
  decodeItem,
  packData,
  queryPartition,
  withThrottleRetry,
  type TableContext,
} from './io.ts';
import { PARTITION_KEY, SORT_KEY } from './table.ts';

const CLASSES_PK = 'CLASSES';

export function createWorkloadClassRepository(ctx: TableContext): WorkloadClassRepository {
  return {
    async put(workload) {
      const item = {
        [PARTITION_KEY]: CLASSES_PK,
        [SORT_KEY]: workload.id,
        kind: 'class',
        ...packData(encodeEntity(zWorkloadClass, workload, `workload class ${workload.id}`)),
      };
      await withThrottleRetry(ctx.retry, () =>
        ctx.client.send(new PutCommand({ TableName: ctx.tableName, Item: item })),
      );
    },

    async list() {
      const items = await queryPartition(ctx, CLASSES_PK);
      return items.map((item) => decodeItem(zWorkloadClass, item));
    },

    async remove(classIds) {
      await batchWrite(
        ctx,
        classIds.map((id) => ({ DeleteRequest: { Key: { [PARTITION_KEY]: CLASSES_PK, [SORT_KEY]: id } } })),
      );
    },
  };
}
