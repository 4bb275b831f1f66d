// Powertools idempotency for the doors whose redelivered event must not act twice: records in the run's own partition of the table.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { makeHandlerIdempotent } from '@aws-lambda-powertools/idempotency/middleware';
import type middy from '@middy/core';
import { PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE } from '../store/table.ts';
import { idempotencyPartition, type IdempotencySpec } from './catalogue.ts';

/**
 * The persistence layer on the stack's table: partition `IDEMPOTENCY#<run>` (the only one the role may touch
 * with these calls), the event's hash as sort key, and the expiry on the table's TTL attribute so that
 * DynamoDB removes old records by itself.
 */
export function idempotencyStore(name: string, tableName: string, client?: DynamoDBClient) {
  return new DynamoDBPersistenceLayer({
    tableName,
    keyAttr: PARTITION_KEY,
    sortKeyAttr: SORT_KEY,
    staticPkValue: idempotencyPartition(name),
    expiryAttr: TTL_ATTRIBUTE,
    ...(client ? { awsSdkV3Client: client } : {}),
  });
}

/** What a door's wrap takes for a run that must not act twice (idempotencyMiddleware, or a stand-in in tests). */
export type IdempotencyMiddleware = (
  name: string,
  spec: IdempotencySpec,
  tableName: string,
) => middy.MiddlewareObj;

/** The middy middleware: an event seen before gets its first outcome back; one in progress is refused. */
export function idempotencyMiddleware(
  name: string,
  spec: IdempotencySpec,
  tableName: string,
  client?: DynamoDBClient,
): middy.MiddlewareObj {
  return makeHandlerIdempotent({
    persistenceStore: idempotencyStore(name, tableName, client),
    // The run's name, not the function's (which CloudFormation makes up): a redeploy keeps the records.
    keyPrefix: name,
    config: new IdempotencyConfig({
      eventKeyJmesPath: spec.eventKey,
      expiresAfterSeconds: spec.expiresAfterSeconds,
      // An event without its key fields is refused, not run unguarded.
      throwOnNoIdempotencyKey: true,
    }),
  }) as middy.MiddlewareObj;
}
