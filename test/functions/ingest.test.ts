import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { GpuReading, UtilizationBatch } from '../../lib/domain/usage.ts';
import { batchEvent } from '../ingest/fixtures.ts';
import { sampleBatch } from '../support/samples.ts';
import { captureEmf, captureLogs, doorTable, emfMetric, lambdaContext } from './support.ts';

const sqsRecord = (messageId: string, body: string) =>
  ({ messageId, body, eventSource: 'aws:sqs', awsRegion: 'us-east-1' }) as SQSRecord;

const readings = (windowStart: string, utilizations: (number | null)[]): GpuReading[] =>
  utilizations.map((utilizationPct, i) => ({
    at: new Date(Date.parse(windowStart) + i * 10_000).toISOString().replace('.000Z', 'Z'),
    utilizationPct,
    memoryUsedMiB: 1000,
    powerW: 300,
    temperatureC: 60,
  }));

function batch(nodeId: string, windowStart: string, gpus: (number | null)[][]): UtilizationBatch {
  const base = sampleBatch();
  return {
    ...base,
    node: { ...base.node, nodeId },
    windowStart,
    gpus: gpus.map((utilizations, index) => ({
      index,
      uuid: `GPU-${nodeId}-${index}`,
      model: 'NVIDIA A100-SXM4-40GB',
      memoryTotalMiB: 40960,
      readings: readings(windowStart, utilizations),
      processes: [],
    })),
  };
}

describe('functions/ingest metrics', () => {
  let fresh: Awaited<ReturnType<typeof doorTable>>;
  beforeAll(async () => {
    // EMF timestamps more than 14 days old are dropped by CloudWatch (and warned about): keep the clock near the data.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.parse('2026-01-05T10:12:00Z'));
    fresh = await doorTable();
  });
  afterAll(() => vi.useRealTimers());

  it('emits the mean GPU utilization of each window it stored, weighted by GPU, on the ingest series', async () => {
    const { handler } = await import('../../functions/ingest.ts');
    const event: SQSEvent = {
      Records: [
        sqsRecord(
          'a',
          JSON.stringify(
            batchEvent(
              batch('i-a', '2026-01-05T10:00:00Z', [
                [80, 40],
                [0, 0],
              ]),
            ),
          ),
        ),
        sqsRecord('b', JSON.stringify(batchEvent(batch('i-b', '2026-01-05T10:05:00Z', [[100, null]])))),
        sqsRecord('c', JSON.stringify(batchEvent(batch('i-c', '2026-01-05T10:00:00Z', [[null, null]])))),
        sqsRecord('bad', '{"detail-type":'),
      ],
    };
    const emf = captureEmf();
    const response = await handler(event, {} as Context).finally(emf.restore);

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'bad' }] });
    expect(
      await fresh.store.rollups.between(
        Date.parse('2026-01-05T10:00:00Z'),
        Date.parse('2026-01-05T11:00:00Z'),
      ),
    ).toHaveLength(3);
    expect(emf.lines.map((l) => l._aws.CloudWatchMetrics[0]!.Dimensions)).toEqual([
      [['service']],
      [['service']],
    ]);
    // 10:00: (60 + 0) / 2 GPUs; the GPU that never answered does not count as idle. 10:05: the one reading.
    expect(emf.lines.map((l) => emfMetric(l, 'GpuUtilizationPct'))).toEqual([
      {
        namespace: 'GpuOptimizer',
        unit: 'Percent',
        value: 30,
        dimensions: { service: 'gpu-optimizer-ingest' },
        atMs: Date.parse('2026-01-05T10:00:00Z'),
      },
      {
        namespace: 'GpuOptimizer',
        unit: 'Percent',
        value: 100,
        dimensions: { service: 'gpu-optimizer-ingest' },
        atMs: Date.parse('2026-01-05T10:05:00Z'),
      },
    ]);
  });

  it('emits nothing for a batch with no usage in it', async () => {
    const { handler } = await import('../../functions/ingest.ts');
    const emf = captureEmf();
    const response = await handler({ Records: [sqsRecord('bad', 'not json')] }, {} as Context).finally(
      emf.restore,
    );
    expect(response.batchItemFailures).toHaveLength(1);
    expect(emf.lines).toEqual([]);
  });

  it('reports each record of an all-poison batch as its own failure, not as a function error, logging with the request', async () => {
    const { handler } = await import('../../functions/ingest.ts');
    const logs = captureLogs();
    const response = await handler(
      { Records: [sqsRecord('p1', '{}'), sqsRecord('p2', 'not json')] },
      lambdaContext('GpuOptimizer-Ingest', 'req-ingest-1'),
    ).finally(logs.restore);
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'p1' }, { itemIdentifier: 'p2' }] });
    const invalid = logs.lines.filter((l) => l.message === 'invalid record');
    expect(invalid.map((l) => l.messageId)).toEqual(['p1', 'p2']);
    // One log style: the run's lines carry the Lambda context the door's middleware gave the logger.
    for (const line of invalid)
      expect(line).toMatchObject({
        service: 'gpu-optimizer-ingest',
        function_name: 'GpuOptimizer-Ingest',
        function_request_id: 'req-ingest-1',
      });
  });
});
