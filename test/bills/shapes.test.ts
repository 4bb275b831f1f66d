// Bill shapes from the field: totals that always balance, bounded numbers, required columns, localized Azure headers.
import { describe, expect, it } from 'vitest';
import { balanceLine, billTotals, importBill } from '../../lib/attribution/bills/import.ts';
import { BillFormatError } from '../../lib/attribution/bills/reader.ts';
import { formatUsd } from '../../lib/domain/money.ts';

const FOCUS_HEADER =
  'BilledCost,EffectiveCost,ListCost,BillingCurrency,ChargeCategory,ChargePeriodStart,ChargePeriodEnd,ResourceId';
const focusLine = (billed: string, start = '2026-03-01T00:00:00Z', category = 'Usage') =>
  `${billed},${billed},${billed},USD,${category},${start},2026-03-01T01:00:00Z,i-1`;

const load = (text: string) => importBill([text], { exportKey: 'test.csv' });

describe('a bill always balances: imported + refused = the file, per currency', () => {
  it('a line refused for an unreadable time keeps its amount (a 1,200 USD purchase does not vanish)', async () => {
    const text = [
      FOCUS_HEADER,
      focusLine('10.5'),
      focusLine('1200', '2026-03-01T30:00:00Z', 'Purchase'),
      focusLine('3.25', '3/1/26'),
    ].join('\n');
    const result = await load(text);
    expect(result.rows).toHaveLength(1);
    expect(result.rejected.map((r) => r.line)).toEqual([3, 4]);
    expect(result.balance).toEqual([
      {
        currency: 'USD',
        fileTotal: 1_213_750_000n,
        imported: 10_500_000n,
        refused: 1_203_250_000n,
        unreadableLines: 0,
        balanced: true,
      },
    ]);
    expect(billTotals(result).rejectedByCurrency).toEqual({ USD: 1_203_250_000n });
    expect(balanceLine(result.balance[0]!)).toBe(
      'USD: file 1213.750000 = imported 10.500000 + refused 1203.250000 balanced',
    );
  });

  it('refused amounts are summed exactly, then rounded once (not line by line)', async () => {
    // Three EUR lines of 0.0000004 each, refused for their currency: 0 per line, 0.0000012 → 0.000001 in all.
    const eur = (n: number) =>
      `0.0000004,0.0000004,0.0000004,EUR,Usage,2026-03-01T0${n}:00:00Z,2026-03-01T0${n + 1}:00:00Z,i-${n}`;
    const result = await load([FOCUS_HEADER, eur(1), eur(2), eur(3)].join('\n'));
    expect(result.rejected).toHaveLength(3);
    expect(billTotals(result).rejectedByCurrency).toEqual({ EUR: 1n });
    expect(result.balance[0]).toMatchObject({ currency: 'EUR', fileTotal: 1n, refused: 1n, balanced: true });
  });
});

describe('numbers are bounded: digits and exponent', () => {
  it('refuses 1e300000000 at once, and 1e2000000000 and 1e100000, each with its line and column', async () => {
    const started = performance.now();
    const result = await load(
      [
        FOCUS_HEADER,
        focusLine('1e300000000'),
        focusLine('1e2000000000'),
        focusLine('1e100000'),
        focusLine('2'),
      ].join('\n'),
    );
    // Bounded: no 10^300000000 is ever built (it took 43 s and 3.4 GB before).
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(result.rows).toHaveLength(1);
    expect(result.rejected.map((r) => [r.line, r.reason])).toEqual([
      [2, 'BilledCost: "1e300000000" has an exponent beyond ±40'],
      [3, 'BilledCost: "1e2000000000" has an exponent beyond ±40'],
      [4, 'BilledCost: "1e100000" has an exponent beyond ±40'],
    ]);
    expect(result.balance[0]).toMatchObject({ unreadableLines: 3, imported: 2_000_000n, balanced: true });
    const long = await load([FOCUS_HEADER, focusLine(`1${'0'.repeat(60)}`)].join('\n'));
    expect(long.rejected[0]!.reason).toMatch(/more than 40 digits/);
  });
});

describe('required columns', () => {
  it('a FOCUS file without ChargePeriodStart fails the import (it exited 0 before)', async () => {
    const header = FOCUS_HEADER.replace('ChargePeriodStart,', '');
    const line = '1,1,1,USD,Usage,2026-03-01T01:00:00Z,i-1';
    await expect(load(`${header}\n${line}\n`)).rejects.toThrow(BillFormatError);
    await expect(load(`${header}\n${line}\n`)).rejects.toThrow(
      /no chargeperiodstart column; nothing was imported/,
    );
  });

  it('a report with line_item_ columns that is no AWS CUR is refused, never returned as aws-cur', async () => {
    const text = 'line_item_id,line_item_amount,line_item_date\n1,5.00,2026-03-01\n';
    await expect(load(text)).rejects.toThrow(/not an AWS CUR export: no line_item_unblended_cost/);
  });
});

describe('localized Azure cost exports', () => {
  it('keys columns by the English name in parentheses, CRLF line ends (every line was refused before)', async () => {
    // Written for this test after a German portal export: localized names, the English key in parentheses.
    const text = [
      'Abonnement-GUID (SubscriptionGuid),Datum (UsageDateTime),Kategorie der Verbrauchseinheit (MeterCategory),Verbrauchte Menge (Quantity),PreTaxCost (PreTaxCost),Währung (Currency),Instanz-ID (InstanceId)',
      '11111111-2222-3333-4444-555555555555,2026-03-01,Virtual Machines,24,81.60,USD,/subscriptions/x/vm/gpu-1',
      '11111111-2222-3333-4444-555555555555,2026-03-02,Virtual Machines,24,"81,60",USD,/subscriptions/x/vm/gpu-1',
    ].join('\r\n');
    const result = await load(`${text}\r\n`);
    expect(result.format).toBe('azure-cost-details');
    expect(result.rows).toHaveLength(1);
    expect(result.rows[0]).toMatchObject({
      SubAccountId: '11111111-2222-3333-4444-555555555555',
      ResourceId: '/subscriptions/x/vm/gpu-1',
      BilledCost: 81_600_000n,
      ServiceName: 'Virtual Machines',
    });
    // A decimal comma is not guessed: the line is refused with its column, and counted as unreadable.
    expect(result.rejected.map((r) => [r.line, r.reason])).toEqual([
      [3, 'PreTaxCost: "81,60" is not a number'],
    ]);
    expect(formatUsd(result.balance[0]!.fileTotal)).toBe('81.600000');
    expect(result.balance[0]!.unreadableLines).toBe(1);
  });
});

describe('money parsing outside bills is bounded too', () => {
  it('parseUsdRounded refuses a huge exponent or digit count with a clear error', async () => {
    const { parseUsdRounded, MoneyFormatError } = await import('../../lib/domain/money.ts');
    expect(() => parseUsdRounded('1e300000000')).toThrow(MoneyFormatError);
    expect(() => parseUsdRounded('1e2000000000')).toThrow(/exponent beyond ±40/);
    expect(parseUsdRounded('1.5e-3')).toBe(1500n);
  });
});

describe('FOCUS 1.0 to 1.3 exports', () => {
  // Written for this test after the FOCUS 1.2 and 1.3 column sets as AWS, Azure and GCP export them.
  it('reads a FOCUS 1.2 AWS row, a 1.2 Azure row in EUR with its USD columns, and a 1.3 GCP row without ProviderName', async () => {
    const aws12 = [
      'BilledCost,EffectiveCost,ListCost,ContractedCost,BillingCurrency,ChargeCategory,ChargeClass,ChargePeriodStart,ChargePeriodEnd,ProviderName,PublisherName,InvoiceIssuerName,ServiceName,ResourceId,SkuPriceId,PricingCurrency,PricingCategory,InvoiceId',
      '32.77,32.77,32.77,32.77,USD,Usage,,2026-03-01T00:00:00Z,2026-03-01T01:00:00Z,AWS,AWS,AWS,Amazon Elastic Compute Cloud,i-0abc,SKU1,USD,Standard,INV-1',
    ].join('\n');
    const azure12 = [
      'BilledCost,EffectiveCost,ListCost,BillingCurrency,ChargeCategory,ChargePeriodStart,ChargePeriodEnd,ProviderName,x_BilledCostInUsd,x_EffectiveCostInUsd,x_ListCostInUsd',
      '10.00,10.00,10.00,EUR,Usage,2026-03-01T00:00:00Z,2026-03-01T01:00:00Z,Microsoft,10.80,10.80,10.80',
    ].join('\n');
    const gcp13 = [
      'BilledCost,EffectiveCost,ListCost,BillingCurrency,ChargeCategory,ChargePeriodStart,ChargePeriodEnd,ServiceProviderName,HostProviderName,AllocatedMethodId,AllocatedResourceId',
      '2.5,2.5,2.5,USD,Usage,2026-03-01 00:00:00 UTC,2026-03-01 01:00:00 UTC,Google Cloud,Google Cloud,,',
    ].join('\n');
    const results = await Promise.all([aws12, azure12, gcp13].map((t) => load(t)));
    expect(results.map((r) => [r.format, r.rows.length, r.rejected.length])).toEqual([
      ['focus', 1, 0],
      ['focus', 1, 0],
      ['focus', 1, 0],
    ]);
    expect(results.map((r) => [r.rows[0]!.ProviderName, formatUsd(r.rows[0]!.BilledCost)])).toEqual([
      ['AWS', '32.770000'],
      ['Microsoft', '10.800000'],
      ['Google Cloud', '2.500000'],
    ]);
    // The EUR file balances in EUR: its own BilledCost column.
    expect(results[1]!.balance).toEqual([
      {
        currency: 'EUR',
        fileTotal: 10_000_000n,
        imported: 10_000_000n,
        refused: 0n,
        unreadableLines: 0,
        balanced: true,
      },
    ]);
  });
});
