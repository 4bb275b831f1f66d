// Random batches of valid, malformed and poison records: every valid record stored, every invalid one refused alone.
import { describe, expect, it } from 'vitest';
import { freshDynamoStore } from '../support/dynamo.ts';
import { runIngestRecordsChaos } from './ingest-records.ts';

describe('ingest records chaos', () => {
  it('on the memory store: no valid record lost, no invalid record accepted', async () => {
    const counts = await runIngestRecordsChaos({ cases: 80, seed: 15 });
    expect(counts.examples).toEqual([]);
    expect(counts).toMatchObject({ cases: 80, failures: 0, lostValidRecords: 0 });
  });

  it('on DynamoDB (dynalite): the same, with its key and number limits', async () => {
    const counts = await runIngestRecordsChaos({
      cases: 10,
      seed: 16,
      makeStore: async () => (await freshDynamoStore()).store,
    });
    expect(counts.examples).toEqual([]);
    expect(counts).toMatchObject({ cases: 10, failures: 0, lostValidRecords: 0 });
  });
});
