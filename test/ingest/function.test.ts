import { randomUUID } from 'node:crypto';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, inject, it } from 'vitest';
import { createTable, localDocumentClient } from '../../lib/store/embedded.ts';
import { createDynamoStore } from '../../lib/store/index.ts';
import { sampleBatch } from '../support/samples.ts';
import { batchEvent } from './fixtures.ts';

const sqsRecord = (messageId: string, body: string): SQSRecord =>
  ({
    messageId,
    receiptHandle: `rh-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '1772445903000',
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: '1772445903001',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:gpu-optimizer-ingest',
    awsRegion: 'us-east-1',
  }) as SQSRecord;

describe('functions/ingest', () => {
  it('answers an SQS batch with the failures of its invalid records, writing the valid ones', async () => {
    const endpoint = inject('dynamoEndpoint');
    const tableName = `fn-${randomUUID()}`;
    await createTable(localDocumentClient(endpoint), tableName);
    Object.assign(process.env, {
      TABLE_NAME: tableName,
      AWS_ENDPOINT_URL_DYNAMODB: endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
    });
    const { handler } = await import('../../functions/ingest.ts');
    const event: SQSEvent = {
      Records: [
        sqsRecord('good', JSON.stringify(batchEvent(sampleBatch()))),
        sqsRecord('bad', '{"detail-type":'),
      ],
    };
    const response = await handler(event, {} as Context);
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'bad' }] });
    const store = createDynamoStore({ client: localDocumentClient(endpoint), tableName });
    expect((await store.nodes.get('i-0abc'))?.lastSeenAt).toBe('2026-01-05T10:00:10Z');
  });
});
