// What the DynamoDB bill repository really stores on dynalite: gzipped day chunks, no write on a re-import, no orphan after a cut-short write.
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import type { BillRow } from '../../lib/attribution/bills/bill-row.ts';
import { HOUR_MS } from '../../lib/domain/time.ts';
import { createBillRepository, exportIdOf } from '../../lib/store/bills.ts';
import { FAST_RETRY, freshDynamoStore, scanTable } from '../support/dynamo.ts';
import { billRow, exportMeta } from './repository-contract.ts';

const DAY = Date.UTC(2026, 2, 2);

/** A day of rows heavy enough (tags) to need several stored chunks. */
function heavyRows(exportKey: string, count: number, usd = 1_000_003n): BillRow[] {
  return Array.from({ length: count }, (_, i) => ({
    ...billRow(exportKey, i + 2, DAY + (i % 24) * HOUR_MS, BigInt(i) * usd),
    Tags: Object.fromEntries(Array.from({ length: 8 }, (_, t) => [`user:tag${t}`, `value-${i}-${t}`])),
  }));
}

/** The table's client, counting the commands sent and failing the batch writes `failWrite` picks. */
function instrumented(client: DynamoDBDocumentClient, failWrite: (n: number) => boolean = () => false) {
  const sent: string[] = [];
  let batchWrites = 0;
  const wrapped = {
    send: (command: { constructor: { name: string } }) => {
      sent.push(command.constructor.name);
      if (command instanceof BatchWriteCommand && failWrite(++batchWrites))
        return Promise.reject(new Error('connection reset'));
      return client.send(command as never);
    },
  } as unknown as DynamoDBDocumentClient;
  return { client: wrapped, sent };
}

const chunkItems = (items: Record<string, unknown>[]) =>
  items.filter((i) => String(i.PK).startsWith('BILL#')).map((i) => `${String(i.PK)} ${String(i.SK)}`);

describe('bills in DynamoDB', () => {
  it('stores a day of rows as gzipped chunks under the day, keyed by a hash of the export key', async () => {
    const { client, tableName, store } = await freshDynamoStore();
    await store.bills.putExport(exportMeta('cur/focus.csv', 'aa11', 1200), heavyRows('cur/focus.csv', 1200));
    const items = await scanTable(client, tableName);
    const chunks = items.filter((i) => i.kind === 'bill-rows');
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks) {
      expect(c.PK).toBe('BILL#2026-03-02');
      expect(String(c.SK)).toMatch(new RegExp(`^${exportIdOf('cur/focus.csv')}#\\d{6}$`));
      expect(c.dataGz).toBeInstanceOf(Uint8Array);
      expect((c.dataGz as Uint8Array).byteLength).toBeLessThan(400_000);
    }
    expect(chunks.reduce((n, c) => n + Number(c.rows), 0)).toBe(1200);
    expect(items.find((i) => i.PK === 'BILL_EXPORTS')?.data).toMatchObject({ exportKey: 'cur/focus.csv' });
  });

  it('sends no write at all for a re-import of the same content', async () => {
    const { client, tableName } = await freshDynamoStore();
    const counting = instrumented(client);
    const bills = createBillRepository({ client: counting.client, tableName, retry: FAST_RETRY });
    const rows = heavyRows('cur/focus.csv', 50);
    await bills.putExport(exportMeta('cur/focus.csv', 'aa11', 50), rows);
    counting.sent.length = 0;
    expect(await bills.putExport(exportMeta('cur/focus.csv', 'aa11', 50), rows)).toBe('unchanged');
    expect(counting.sent).toEqual(['GetCommand']);
  });

  it('leaves no orphan chunk when a rewrite is cut short and then retried with other content', async () => {
    const { client, tableName, store } = await freshDynamoStore();
    await store.bills.putExport(exportMeta('cur/a.csv', 'v1', 1200), heavyRows('cur/a.csv', 1200));
    const before = chunkItems(await scanTable(client, tableName));

    // The rewrite fails after the widened layout and some of its chunks are written.
    const failing = instrumented(client, (n) => n >= 3);
    const cut = createBillRepository({ client: failing.client, tableName, retry: FAST_RETRY });
    const v2 = heavyRows('cur/a.csv', 1200, 7n).map((r) => ({
      ...r,
      ChargePeriodStart: '2026-03-03T05:00:00Z',
    }));
    await expect(cut.putExport(exportMeta('cur/a.csv', 'v2', 1200), v2)).rejects.toThrow(/connection reset/);
    expect((await store.bills.exports())[0]?.contentSha256).toBe('v1');

    const v3 = heavyRows('cur/a.csv', 3, 11n);
    expect(await store.bills.putExport(exportMeta('cur/a.csv', 'v3', 3), v3)).toBe('replaced');
    const after = chunkItems(await scanTable(client, tableName));
    expect(before.length).toBeGreaterThan(1);
    expect(after).toEqual([`BILL#2026-03-02 ${exportIdOf('cur/a.csv')}#000000`]);
    expect(await store.bills.rowsBetween(0, Number.MAX_SAFE_INTEGER)).toEqual(v3);
  });
});
