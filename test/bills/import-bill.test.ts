// The import-bill run: a landed export is imported once, reconciled with the stored attribution, and alerts on variance.
import { describe, expect, it } from 'vitest';
import { createMemoryBillRepository } from '../../lib/attribution/bills/repository.ts';
import { parseUsd } from '../../lib/domain/money.ts';
import { HOUR_MS } from '../../lib/domain/time.ts';
import { fixedClock } from '../../lib/memory/clock.ts';
import { createMemoryEventSink } from '../../lib/memory/event-sink.ts';
import { createMemoryStore } from '../../lib/memory/store.ts';
import { createMemoryObjectReader, runImportBill, type ImportBillPorts } from '../../lib/runs/import-bill.ts';
import { attributionRow, fixture } from './fixtures.ts';

const BILL = 'written-from-spec__aws-data-exports-focus-1.0__gpu-savings-plan.csv';
const DAY = Date.parse('2026-03-02T00:00:00Z');

async function setUp(objects: Record<string, string | Uint8Array>) {
  const store = createMemoryStore();
  for (const h of [10, 11, 12]) {
    const at = DAY + h * HOUR_MS;
    await store.attribution.putHour(at, [
      attributionRow('i-0a1b2c3d4e5f60001', at, parseUsd('32.7726')),
      attributionRow('i-0a1b2c3d4e5f60002', at, parseUsd('5.672')),
    ]);
  }
  const events = createMemoryEventSink();
  const ports: ImportBillPorts = {
    store,
    bills: createMemoryBillRepository(),
    events,
    clock: fixedClock(DAY + 2 * 86_400_000),
    objects: createMemoryObjectReader(objects),
    log: () => {},
  };
  return { ports, events };
}

describe('the import-bill run', () => {
  it('imports an export once: the same file again changes nothing and sends nothing', async () => {
    const { ports, events } = await setUp({ 'cur-bucket/exports/2026-03.csv': fixture(BILL) });
    const first = await runImportBill(ports, { bucket: 'cur-bucket', key: 'exports/2026-03.csv' });
    expect(first).toMatchObject({ outcome: 'created', rows: 12, rejected: [], alertsSent: 1 });
    expect(events.events.map((e) => e.detailType)).toEqual(['Budget Alert']);
    expect(events.events[0]!.detail).toMatchObject({
      scope: 'account:444455556666',
      varianceUsd: parseUsd('-33.150572'),
      thresholdPct: 5,
    });
    const rowsBefore = await ports.bills.rowsBetween(0, Number.MAX_SAFE_INTEGER);
    const exportsBefore = await ports.bills.exports();

    const again = await runImportBill(ports, { bucket: 'cur-bucket', key: 'exports/2026-03.csv' });
    expect(again).toMatchObject({ outcome: 'unchanged', rows: 12, alertsSent: 0 });
    expect(again.reconciliation).toBeUndefined();
    expect(await ports.bills.rowsBetween(0, Number.MAX_SAFE_INTEGER)).toEqual(rowsBefore);
    expect(await ports.bills.exports()).toEqual(exportsBefore);
    expect(events.events).toHaveLength(1);
  });

  it('replaces an export rewritten under the same key, and keeps other exports', async () => {
    const text = fixture(BILL).toString('utf8');
    const shorter = text.split('\n').slice(0, 4).join('\n') + '\n';
    const objects: Record<string, string> = { 'b/a.csv': text, 'b/other.csv': text };
    const { ports } = await setUp(objects);
    await runImportBill(ports, { bucket: 'b', key: 'a.csv' });
    await runImportBill(ports, { bucket: 'b', key: 'other.csv', thresholdPct: 100 });
    objects['b/a.csv'] = shorter;
    const rewritten = await runImportBill(ports, { bucket: 'b', key: 'a.csv', thresholdPct: 100 });
    expect(rewritten).toMatchObject({ outcome: 'replaced', rows: 3 });
    expect(await ports.bills.rowsBetween(0, Number.MAX_SAFE_INTEGER)).toHaveLength(15);
  });

  it('stores nothing when the alert cannot be sent, so the retry alerts again', async () => {
    const { ports, events } = await setUp({ 'b/a.csv': fixture(BILL) });
    events.failNext(1);
    await expect(runImportBill(ports, { bucket: 'b', key: 'a.csv' })).rejects.toThrow(/refused/);
    expect(await ports.bills.exports()).toEqual([]);
    expect(await runImportBill(ports, { bucket: 'b', key: 'a.csv' })).toMatchObject({
      outcome: 'created',
      alertsSent: 1,
    });
  });
});
