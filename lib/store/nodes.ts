// Fleet nodes: one item each in the NODES partition, listed in one query, patched field by field.
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { zFleetNode } from '../domain/fleet.ts';
import type { NodeRepository } from '../domain/ports.ts';
import { encodeEntity } from './codec.ts';
import {
  decodeItem,
  getItem,
  isConditionFailed,
  plain,
  queryPartition,
  withThrottleRetry,
  type Item,
  type TableContext,
} from './io.ts';
import { storedNodePatch } from './rules.ts';
import { PARTITION_KEY, SORT_KEY } from './table.ts';

const NODES_PK = 'NODES';
const nodeKey = (nodeId: string): Item => ({ [PARTITION_KEY]: NODES_PK, [SORT_KEY]: `NODE#${nodeId}` });

export function createNodeRepository(ctx: TableContext): NodeRepository {
  return {
    async put(node) {
      const data = encodeEntity(zFleetNode, node, `node ${node.nodeId}`);
      // Never packed: patch updates fields inside `data` in place.
      await withThrottleRetry(ctx.retry, () =>
        ctx.client.send(
          new PutCommand({
            TableName: ctx.tableName,
            Item: { ...nodeKey(node.nodeId), kind: 'node', data: plain(data) },
          }),
        ),
      );
    },

    async get(nodeId) {
      const item = await getItem(ctx, nodeKey(nodeId));
      return item && decodeItem(zFleetNode, item);
    },

    async list() {
      const items = await queryPartition(ctx, NODES_PK);
      return items.map((item) => decodeItem(zFleetNode, item));
    },

    async patch(nodeId, fields) {
      const { set, remove } = storedNodePatch(nodeId, fields);
      const names: Record<string, string> = { '#pk': PARTITION_KEY, '#data': 'data' };
      const values: Record<string, unknown> = {};
      const sets: string[] = [];
      const removes: string[] = [];
      Object.entries(set).forEach(([name, value], i) => {
        names[`#s${i}`] = name;
        values[`:s${i}`] = plain(value);
        sets.push(`#data.#s${i} = :s${i}`);
      });
      remove.forEach((name, i) => {
        names[`#r${i}`] = name;
        removes.push(`#data.#r${i}`);
      });
      if (sets.length === 0 && removes.length === 0)
        return (await getItem(ctx, nodeKey(nodeId))) !== undefined;
      const expression = [
        sets.length ? `SET ${sets.join(', ')}` : '',
        removes.length ? `REMOVE ${removes.join(', ')}` : '',
      ].join(' ');
      try {
        await withThrottleRetry(ctx.retry, () =>
          ctx.client.send(
            new UpdateCommand({
              TableName: ctx.tableName,
              Key: nodeKey(nodeId),
              UpdateExpression: expression.trim(),
              ConditionExpression: 'attribute_exists(#pk)',
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: Object.keys(values).length ? values : undefined,
            }),
          ),
        );
        return true;
      } catch (error) {
        if (isConditionFailed(error)) return false;
        throw error;
      }
    },
  };
}
