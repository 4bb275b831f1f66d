// Fleet nodes: one item each in the NODES partition, listed in one query, patched field by field; and the
// facts kept for nodes not in the fleet yet, one partition per node.
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { PENDING_FACT_TTL_MS, zFleetNode, zPendingNodeFact } from '../domain/fleet.ts';
import type { NodeRepository } from '../domain/ports.ts';
import { parseRfc3339 } from '../domain/time.ts';
import { encodeEntity } from './codec.ts';
import {
  batchGetItems,
  decodeItem,
  getItem,
  isConditionFailed,
  plain,
  putIfAbsent,
  queryAll,
  queryPartition,
  withThrottleRetry,
  type Item,
  type TableContext,
} from './io.ts';
import { storedNodePatch } from './rules.ts';
import { PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE } from './table.ts';

const NODES_PK = 'NODES';
const nodeKey = (nodeId: string): Item => ({ [PARTITION_KEY]: NODES_PK, [SORT_KEY]: `NODE#${nodeId}` });
const pendingPartition = (nodeId: string) => `NODE_FACTS#${nodeId}`;

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

    async create(node) {
      const data = encodeEntity(zFleetNode, node, `node ${node.nodeId}`);
      return putIfAbsent(ctx, { ...nodeKey(node.nodeId), kind: 'node', data: plain(data) });
    },

    async get(nodeId) {
      const item = await getItem(ctx, nodeKey(nodeId));
      return item && decodeItem(zFleetNode, item);
    },

    async getMany(nodeIds) {
      const items = await batchGetItems(ctx, [...new Set(nodeIds)].map(nodeKey));
      return new Map(items.map((item) => decodeItem(zFleetNode, item)).map((node) => [node.nodeId, node]));
    },

    async list() {
      const items = await queryPartition(ctx, NODES_PK);
      return items.map((item) => decodeItem(zFleetNode, item));
    },

    async patch(nodeId, fields, expected) {
      const { set, remove } = storedNodePatch(nodeId, fields);
      const names: Record<string, string> = { '#pk': PARTITION_KEY, '#data': 'data' };
      const values: Record<string, unknown> = {};
      const sets: string[] = [];
      const removes: string[] = [];
      const conditions = ['attribute_exists(#pk)'];
      Object.entries(expected ?? {}).forEach(([name, value], i) => {
        names[`#e${i}`] = name;
        if (value === undefined) conditions.push(`attribute_not_exists(#data.#e${i})`);
        else {
          values[`:e${i}`] = value;
          conditions.push(`#data.#e${i} = :e${i}`);
        }
      });
      Object.entries(set).forEach(([name, value], i) => {
        names[`#s${i}`] = name;
        values[`:s${i}`] = plain(value);
        sets.push(`#data.#s${i} = :s${i}`);
      });
      remove.forEach((name, i) => {
        names[`#r${i}`] = name;
        removes.push(`#data.#r${i}`);
      });
      if (sets.length === 0 && removes.length === 0) {
        const item = await getItem(ctx, nodeKey(nodeId));
        if (!item) return false;
        const data = item.data as Record<string, unknown>;
        return Object.entries(expected ?? {}).every(([name, value]) => data[name] === value);
      }
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
              ConditionExpression: conditions.join(' AND '),
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

    async keepPendingFact(fact) {
      const data = encodeEntity(zPendingNodeFact, fact, `pending fact of node ${fact.nodeId}`);
      await withThrottleRetry(ctx.retry, () =>
        ctx.client.send(
          new PutCommand({
            TableName: ctx.tableName,
            Item: {
              [PARTITION_KEY]: pendingPartition(fact.nodeId),
              [SORT_KEY]: fact.eventId,
              kind: 'pending node fact',
              data: plain(data),
              [TTL_ATTRIBUTE]: Math.ceil((parseRfc3339(fact.at) + PENDING_FACT_TTL_MS) / 1000),
            },
          }),
        ),
      );
    },

    async pendingFacts(nodeId) {
      const items = await queryAll(ctx, {
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': PARTITION_KEY },
        ExpressionAttributeValues: { ':pk': pendingPartition(nodeId) },
        ConsistentRead: true,
      });
      return items.map((item) => decodeItem(zPendingNodeFact, item));
    },
  };
}
