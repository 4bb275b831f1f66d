// The behaviour every BillRepository owes the import-bill run and reconciliation; the Store contract runs it on each store.
import { expect, it } from 'vitest';
import type { BillRow } from '../../lib/attribution/bills/bill-row.ts';
import type { BillRepository, StoredExport } from '../../lib/attribution/bills/repository.ts';
import { DAY_MS, HOUR_MS, toRfc3339 } from '../../lib/domain/time.ts';

const DAY = Date.UTC(2026, 2, 2);
const EVERYTHING = [0, Number.MAX_SAFE_INTEGER] as const;
/** Beyond 2^53 micro-dollars: money must never pass through a float. */
const HUGE_USD = 9_007_199_254_740_993n;

/** One line of an export: an hour of a GPU instance, at the given effective cost. */
export function billRow(exportKey: string, line: number, startMs: number, effectiveUsd: bigint): BillRow {
  return {
    lineId: `${exportKey}#${line}`,
    ProviderName: 'AWS',
    BillingAccountId: '111122223333',
    SubAccountId: '444455556666',
    ChargeCategory: 'Usage',
    PricingCategory: 'Committed',
    ChargePeriodStart: toRfc3339(startMs),
    ChargePeriodEnd: toRfc3339(startMs + HOUR_MS),
    BilledCost: 0n,
    EffectiveCost: effectiveUsd,
    ListCost: effectiveUsd + 1_000_000n,
    ResourceId: `i-0a1b2c3d4e5f6${String(line).padStart(4, '0')}`,
    ResourceType: 'Instance',
    RegionId: 'us-east-1',
    ServiceName: 'Amazon Elastic Compute Cloud',
    SkuPriceId: 'JRTCKXETXF.6YS6EN2CT7',
    ConsumedQuantity: 1,
    ConsumedUnit: 'Hours',
    CommitmentDiscountId:
      'arn:aws:savingsplans::111122223333:savingsplan/3f1e7a0b-1c2d-4e5f-8a9b-0c1d2e3f4a5b',
    CommitmentDiscountStatus: 'Used',
    Tags: { team: 'vision', 'user:project': 'detector' },
  };
}

export function exportMeta(exportKey: string, contentSha256: string, rows: number): StoredExport {
  return { exportKey, contentSha256, importedAt: '2026-03-04T08:00:00Z', rows, rejected: 0 };
}

const hours = (exportKey: string, count: number, fromMs = DAY, usd = 2_500_000n) =>
  Array.from({ length: count }, (_, i) => billRow(exportKey, i + 2, fromMs + i * HOUR_MS, usd));

const byLine = (rows: BillRow[]) => [...rows].sort((a, b) => a.lineId.localeCompare(b.lineId));

export function describeBillRepositoryContract(makeBills: () => Promise<BillRepository>): void {
  it('gives back an export’s rows with money exact, and lists the export', async () => {
    const bills = await makeBills();
    const rows = [
      billRow('b/focus.csv', 2, DAY, HUGE_USD),
      { ...billRow('b/focus.csv', 3, DAY, -250_000n), ChargeCategory: 'Credit' as const },
      { ...billRow('b/focus.csv', 4, DAY + HOUR_MS, 1n), ResourceId: undefined, Tags: {} },
    ];
    expect(await bills.putExport(exportMeta('b/focus.csv', 'aa11', 3), rows)).toBe('created');
    expect(byLine(await bills.rowsBetween(...EVERYTHING))).toEqual(byLine(rows));
    expect(await bills.exports()).toEqual([exportMeta('b/focus.csv', 'aa11', 3)]);
  });

  it('takes the same content again as unchanged and changes nothing', async () => {
    const bills = await makeBills();
    const rows = hours('b/focus.csv', 30);
    await bills.putExport(exportMeta('b/focus.csv', 'aa11', 30), rows);
    const again = { ...exportMeta('b/focus.csv', 'aa11', 30), importedAt: '2026-03-05T08:00:00Z' };
    expect(await bills.putExport(again, rows)).toBe('unchanged');
    expect(byLine(await bills.rowsBetween(...EVERYTHING))).toEqual(byLine(rows));
    expect(await bills.exports()).toEqual([exportMeta('b/focus.csv', 'aa11', 30)]);
  });

  it('replaces an export rewritten under its key, leaving none of its old rows and every other export’s', async () => {
    const bills = await makeBills();
    // Enough rows (with tags) that one day's rows fill more than one stored chunk in DynamoDB.
    const long = Array.from({ length: 1200 }, (_, i) => ({
      ...billRow('b/a.csv', i + 2, DAY + (i % 72) * HOUR_MS, BigInt(i) * 1_000_003n),
      Tags: Object.fromEntries(Array.from({ length: 8 }, (_, t) => [`user:tag${t}`, `value-${i}-${t}`])),
    }));
    const other = hours('b/other.csv', 5, DAY + 2 * DAY_MS);
    await bills.putExport(exportMeta('b/a.csv', 'aa11', long.length), long);
    await bills.putExport(exportMeta('b/other.csv', 'bb22', 5), other);
    expect(await bills.rowsBetween(...EVERYTHING)).toHaveLength(1205);

    const short = hours('b/a.csv', 3, DAY + HOUR_MS, 7n);
    expect(await bills.putExport(exportMeta('b/a.csv', 'cc33', 3), short)).toBe('replaced');
    expect(byLine(await bills.rowsBetween(...EVERYTHING))).toEqual(byLine([...short, ...other]));
    const listed = (await bills.exports()).sort((x, y) => x.exportKey.localeCompare(y.exportKey));
    expect(listed).toEqual([exportMeta('b/a.csv', 'cc33', 3), exportMeta('b/other.csv', 'bb22', 5)]);
  });

  it('reads rows whose charge period starts in [from, to), across midnight', async () => {
    const bills = await makeBills();
    const rows = hours('b/focus.csv', 4, DAY + 22 * HOUR_MS);
    await bills.putExport(exportMeta('b/focus.csv', 'aa11', 4), rows);
    const got = await bills.rowsBetween(DAY + 23 * HOUR_MS, DAY + 25 * HOUR_MS);
    expect(got.map((r) => r.ChargePeriodStart).sort()).toEqual([
      '2026-03-02T23:00:00Z',
      '2026-03-03T00:00:00Z',
    ]);
    expect(await bills.rowsBetween(DAY + 30 * HOUR_MS, DAY + 40 * HOUR_MS)).toEqual([]);
  });

  it('keeps an export with no rows (every line rejected), so it is not imported again', async () => {
    const bills = await makeBills();
    const meta = { ...exportMeta('b/empty.csv', 'dd44', 0), rejected: 12 };
    expect(await bills.putExport(meta, [])).toBe('created');
    expect(await bills.putExport(meta, [])).toBe('unchanged');
    expect(await bills.exports()).toEqual([meta]);
    expect(await bills.rowsBetween(...EVERYTHING)).toEqual([]);
  });
}
