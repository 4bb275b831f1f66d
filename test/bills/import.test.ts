// Every fixture export of every provider: each line imported or rejected with a reason, totals kept to the micro-dollar.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { billTotals, importBill } from '../../lib/attribution/bills/import.ts';
import { chunked } from '../../lib/attribution/bills/reader.ts';
import { formatUsd, parseUsd } from '../../lib/domain/money.ts';
import { BILLING_DIR, fixture } from './fixtures.ts';

interface Expected {
  format: string;
  lines: number;
  rows: number;
  rejected: number;
  /** Exact sums of the file's own columns (Python Decimal), rounded half-even once. */
  billed: string;
  effective: string;
  list?: string;
  rejectedByCurrency?: Record<string, string>;
  reason?: RegExp;
  warning?: RegExp;
}

const EXPECTED: Record<string, Expected> = {
  'focus-sample-data__FOCUS-1.0_focus_sample.csv': {
    format: 'focus',
    lines: 1000,
    rows: 1000,
    rejected: 0,
    billed: '20.520227', // exact 20.52022672899
    effective: '14.976514', // exact 14.97651418586
    list: '20.390906', // exact 20.39090575119
  },
  'focus-spec__commitment_discount_usage_scenario_3.csv': {
    format: 'focus',
    lines: 2,
    rows: 2,
    rejected: 0,
    billed: '0.000000',
    effective: '1.000000',
    warning: /no BillingCurrency column/,
  },
  'focus-spec__one_hundred_percent_utilization_with_commitment_discount_flexibility_with_2_resources.csv': {
    format: 'focus',
    lines: 3,
    rows: 3,
    rejected: 0,
    billed: '2.000000',
    effective: '2.000000',
    list: '8.000000',
  },
  'finops-toolkit__EA_ActualCost_Small.csv': {
    format: 'azure-cost-details',
    lines: 11,
    rows: 11,
    rejected: 0,
    billed: '8.545008', // exact 8.5450077867419368
    effective: '8.545008',
  },
  'finops-toolkit__EA_AmortizedCost_Small.csv': {
    format: 'azure-cost-details',
    lines: 28,
    rows: 28,
    rejected: 0,
    billed: '16.296932', // exact 16.296932136636644627485419
    effective: '16.296932',
  },
  'koku__azure_version_2.csv': {
    format: 'azure-cost-details',
    lines: 5,
    rows: 0,
    rejected: 5,
    billed: '0.000000',
    effective: '0.000000',
    rejectedByCurrency: { MC: '19.998414' },
    reason: /billing currency is MC, not USD/,
  },
  'koku__test_cur.csv': {
    format: 'aws-cur',
    lines: 19,
    rows: 19,
    rejected: 0,
    billed: '0.082750', // exact 0.0827499841274349353
    effective: '0.082750',
    warning: /19 lines have fewer fields than the header/,
  },
  'koku__2023-06-01.csv': {
    format: 'aws-cur',
    lines: 3,
    rows: 0,
    rejected: 3,
    billed: '0.000000',
    effective: '0.000000',
    rejectedByCurrency: { NOK: '30.000000' },
    reason: /line_item_currency_code is NOK, not USD/,
  },
  'koku__202011_30c31bca571d9b7f3b2c8459dd8bc34a_2020-11-08_2020-11-11.csv': {
    format: 'gcp-billing',
    lines: 25,
    rows: 33, // 25 usage lines and 8 promotion credits
    rejected: 0,
    billed: '0.000000', // cost 0.000032, credits -0.000032
    effective: '0.000000',
  },
  'written-from-spec__aws-data-exports-focus-1.0__gpu-savings-plan.csv': {
    format: 'focus',
    lines: 12,
    rows: 12,
    rejected: 0,
    billed: '82.183228',
    effective: '82.183228',
    list: '180.501028',
  },
  'written-from-spec__aws-cur-2.0__gpu-commitments.csv': {
    format: 'aws-cur',
    lines: 8,
    rows: 8,
    rejected: 0,
    billed: '73.100585',
    effective: '73.100585',
  },
  'written-from-spec__gcp-billing-detailed-export__gpu.jsonl': {
    format: 'gcp-billing',
    lines: 4,
    rows: 5,
    rejected: 0,
    billed: '1.740734',
    effective: '1.740734',
  },
  'written-from-spec__azure-focus-1.0__gpu-eur.csv': {
    format: 'focus',
    lines: 3,
    rows: 3,
    rejected: 0,
    billed: '65.072000',
    effective: '65.073163', // exact 65.073163043478…, from the x_EffectiveCostInUsd column
  },
};

describe('bill import of every fixture', () => {
  it('has an expectation for every fixture file', () => {
    const files = readdirSync(BILLING_DIR).filter((f) => !f.endsWith('.md'));
    expect(files.sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const [file, want] of Object.entries(EXPECTED)) {
    it(`${file}: every line imported or rejected, totals to the micro-dollar`, async () => {
      const result = await importBill([fixture(file)], { exportKey: file });
      expect(result.format).toBe(want.format);
      expect(result.linesRead).toBe(want.lines);
      expect(result.rows).toHaveLength(want.rows);
      expect(result.rejected).toHaveLength(want.rejected);
      const importedLines = new Set(result.rows.map((r) => r.lineId.replace(/\.\d+$/, '')));
      expect(importedLines.size + result.rejected.length).toBe(want.lines);
      for (const r of result.rejected) expect(r.reason).toMatch(want.reason ?? /./);
      const totals = billTotals(result);
      expect(formatUsd(totals.billedUsd)).toBe(want.billed);
      expect(formatUsd(totals.effectiveUsd)).toBe(want.effective);
      if (want.list) expect(formatUsd(totals.listUsd)).toBe(want.list);
      expect(
        Object.fromEntries(Object.entries(totals.rejectedByCurrency).map(([c, v]) => [c, formatUsd(v)])),
      ).toEqual(want.rejectedByCurrency ?? {});
      if (want.warning) expect(result.warnings.join('\n')).toMatch(want.warning);
      expect(new Set(result.rows.map((r) => r.lineId)).size).toBe(result.rows.length);
      // The balance check, per currency: imported + refused = the file's total, exactly; no amount unread.
      expect(result.balance.length).toBeGreaterThan(0);
      for (const b of result.balance) {
        expect(b.balanced).toBe(true);
        expect(b.imported + b.refused).toBe(b.fileTotal);
        expect(b.unreadableLines).toBe(0);
      }
    });
  }

  it('reads the same rows whatever the chunk boundaries (BOM, quotes, CRLF and blank lines included)', async () => {
    for (const file of [
      'finops-toolkit__EA_ActualCost_Small.csv',
      'focus-spec__one_hundred_percent_utilization_with_commitment_discount_flexibility_with_2_resources.csv',
      'written-from-spec__gcp-billing-detailed-export__gpu.jsonl',
    ]) {
      const whole = await importBill([fixture(file)], { exportKey: 'x' });
      const bytes = fixture(file);
      const byteChunks = Array.from({ length: Math.ceil(bytes.length / 5) }, (_, i) =>
        bytes.subarray(i * 5, i * 5 + 5),
      );
      expect(await importBill(byteChunks, { exportKey: 'x' })).toEqual(whole);
      expect(await importBill(chunked(bytes.toString('utf8'), 3), { exportKey: 'x' })).toEqual(whole);
    }
  });

  it('maps a Savings Plan covered hour to its effective cost and the plan fee to a purchase', async () => {
    const result = await importBill([fixture('written-from-spec__aws-cur-2.0__gpu-commitments.csv')], {
      exportKey: 'cur',
    });
    const covered = result.rows.find((r) => r.ResourceId === 'i-0c0ffee0000000001' && r.ListCost > 0n)!;
    expect(covered).toMatchObject({
      ChargeCategory: 'Usage',
      PricingCategory: 'Committed',
      CommitmentDiscountStatus: 'Used',
      BilledCost: parseUsd('98.32'),
      EffectiveCost: parseUsd('62.9248'),
      Tags: { 'user:team': 'llm' },
      ChargePeriodStart: '2026-03-03T08:00:00Z',
    });
    const spot = result.rows.find(
      (r) => r.ResourceId === 'i-0c0ffee0000000003' && r.ChargeCategory === 'Usage',
    )!;
    expect(spot.PricingCategory).toBe('Dynamic');
    const fee = result.rows.find((r) => r.ChargeDescription === '3 year No Upfront Compute Savings Plan')!;
    expect(fee).toMatchObject({ CommitmentDiscountStatus: 'Unused', EffectiveCost: parseUsd('7.0752') });
  });

  it('rejects a bad line with a reason naming the column, and keeps reading', async () => {
    const header =
      'BilledCost,EffectiveCost,ChargeCategory,ChargePeriodStart,ChargePeriodEnd,BillingCurrency,ResourceId';
    const text = [
      header,
      '1.5,1.5,Usage,2026-03-01T00:00:00Z,2026-03-01T01:00:00Z,USD,i-1',
      'abc,1.5,Usage,2026-03-01T00:00:00Z,2026-03-01T01:00:00Z,USD,i-2',
      '1.5,1.5,Refund,2026-03-01T00:00:00Z,2026-03-01T01:00:00Z,USD,i-3',
      '1.5,1.5,Usage,yesterday,2026-03-01T01:00:00Z,USD,i-4',
      '2.25,2.25,Usage,2026-03-01T00:00:00Z,2026-03-01T01:00:00Z,EUR,i-5',
      '1.5,1.5,Usage,2026-03-01T00:00:00Z,2026-03-01T01:00:00Z,USD,i-6,extra',
    ].join('\n');
    const result = await importBill([text], { exportKey: 'bad.csv' });
    expect(result.rows.map((r) => r.ResourceId)).toEqual(['i-1']);
    expect(result.rejected.map((r) => [r.line, r.reason])).toEqual([
      [3, 'BilledCost: "abc" is not a number'],
      [4, 'ChargeCategory "Refund" is not a FOCUS charge category'],
      [5, 'ChargePeriodStart: "yesterday" is not a time this importer reads'],
      [6, 'BillingCurrency is EUR, not USD, and the line has no x_BilledCostInUsd/x_EffectiveCostInUsd'],
      [7, 'has 8 fields, the header has 7'],
    ]);
    expect(result.rejected[3]).toMatchObject({ billedCost: parseUsd('2.25'), currency: 'EUR' });
  });

  it('refuses a file whose columns are no known export', async () => {
    await expect(importBill(['a,b,c\n1,2,3\n'], { exportKey: 'x' })).rejects.toThrow(/columns are not those/);
  });
});
