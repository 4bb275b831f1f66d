// Attribution at list prices against a bill with a Savings Plan: the variance report explains the whole difference.
import { describe, expect, it } from 'vitest';
import { savingsAtBillRates } from '../../lib/attribution/bill-savings.ts';
import { billHourCosts } from '../../lib/attribution/bills/effective-rates.ts';
import { importBill } from '../../lib/attribution/bills/import.ts';
import { attributeHour } from '../../lib/attribution/hour.ts';
import { ledgerEntry } from '../../lib/attribution/ledger.ts';
import { DEFAULT_ATTRIBUTION_OPTIONS } from '../../lib/attribution/options.ts';
import { explainVariance, reconcile, sumParts } from '../../lib/attribution/reconcile.ts';
import { formatUsd, parseUsd, sumUsd } from '../../lib/domain/money.ts';
import { HOUR_MS } from '../../lib/domain/time.ts';
import { node } from '../idle/build.ts';
import { attributionRow, fixture } from './fixtures.ts';

const BILL = 'written-from-spec__aws-data-exports-focus-1.0__gpu-savings-plan.csv';
const DAY = Date.parse('2026-03-02T00:00:00Z');
const HOURS = [10, 11, 12].map((h) => DAY + h * HOUR_MS);
const P4D = 'i-0a1b2c3d4e5f60001';
const G5 = 'i-0a1b2c3d4e5f60002';

async function bill() {
  return (await importBill([fixture(BILL)], { exportKey: 'exports/focus.csv' })).rows;
}

/** What attribution at list prices says: both instances at their on-demand price, and an on-prem node. */
const atList = [
  ...HOURS.map((h) => attributionRow(P4D, h, parseUsd('32.7726'))),
  ...HOURS.map((h) => attributionRow(G5, h, parseUsd('5.672'))),
  attributionRow('gpu-node-17', HOURS[0]!, parseUsd('4.0'), parseUsd('4.0'), 'onprem'),
];

describe('reconciling attribution with the bill', () => {
  it('explains the whole variance: the Savings Plan price difference, storage, tax and a credit', async () => {
    const result = reconcile({
      attribution: atList,
      bill: await bill(),
      fromMs: DAY,
      toMs: DAY + 24 * HOUR_MS,
      thresholdPct: 5,
    });
    expect(result.days).toHaveLength(1);
    const day = result.days[0]!;
    expect(day).toMatchObject({ day: '2026-03-02', accountId: '444455556666', overThreshold: true });
    expect(formatUsd(day.attributedUsd)).toBe('115.333800');
    expect(formatUsd(day.billedUsd)).toBe('82.183228');
    expect(formatUsd(day.varianceUsd)).toBe('-33.150572');
    const parts = Object.fromEntries(Object.entries(day.parts).map(([k, v]) => [k, formatUsd(v)]));
    expect(parts).toEqual({
      priceDifferenceUsd: '-32.444874', // 3 h × (21.957642 − 32.7726)
      unattributedResourcesUsd: '1.843202', // the S3 bucket
      taxUsd: '2.451100',
      creditsUsd: '-5.000000',
      usageDifferenceUsd: '0.000000',
      unusedCommitmentsUsd: '0.000000',
      adjustmentsUsd: '0.000000',
      purchasesUsd: '0.000000', // the plan's fee is in the covered hours' effective cost
      notInBillUsd: '0.000000',
    });
    expect(sumParts(day.parts)).toBe(day.varianceUsd);
    expect(formatUsd(result.outOfScopeUsd)).toBe('4.000000');
    expect(explainVariance(day)).toBe(
      'bill $82.18 vs attributed $115.33 (−$33.15, 40.33%): price differences −$32.44, credits −$5.00, ' +
        'tax +$2.45, unattributed resources +$1.84',
    );
  });

  it('attributes at the bill effective rate when the bill has the hour, and says so per row', async () => {
    const costs = billHourCosts(await bill());
    const p4d = node({ nodeId: P4D, gpuCount: 8, launchedAt: '2026-03-02T00:00:00Z' });
    const g5 = node({ nodeId: G5, poolId: 'aws:us-east-1:g5.12xlarge', gpuCount: 4 });
    const hours = HOURS.map((hourStartMs) =>
      attributeHour({
        hourStartMs,
        nodes: [p4d, g5],
        rollups: [],
        prices: [],
        options: DEFAULT_ATTRIBUTION_OPTIONS,
        billCost: costs,
      }),
    );
    const rows = hours.flatMap((h) => h.rows);
    expect(new Set(rows.map((r) => r.x_CostSource))).toEqual(new Set(['bill']));
    const p4dRows = rows.filter((r) => r.ResourceId === P4D);
    expect(formatUsd(sumUsd(p4dRows.map((r) => r.EffectiveCost)))).toBe('65.872926');
    expect(formatUsd(sumUsd(p4dRows.map((r) => r.ListCost)))).toBe('98.317800');
    // Attributed at the bill's rates, only what attribution cannot see is left.
    const day = reconcile({
      attribution: rows,
      bill: await bill(),
      fromMs: DAY,
      toMs: DAY + 86_400_000,
      thresholdPct: 5,
    }).days[0]!;
    expect(formatUsd(day.parts.priceDifferenceUsd)).toBe('0.000000');
    expect(formatUsd(day.varianceUsd)).toBe(
      formatUsd(parseUsd('1.843202') + parseUsd('2.4511') - parseUsd('5')),
    );
    // An hour the bill does not have stays at list prices, marked as such.
    const later = attributeHour({
      hourStartMs: DAY + 20 * HOUR_MS,
      nodes: [p4d],
      rollups: [],
      prices: [
        {
          poolId: p4d.poolId,
          option: 'on-demand',
          usdPerHour: parseUsd('32.7726'),
          asOf: '2026-03-01T00:00:00Z',
          source: 'catalog',
          modelled: false,
        },
      ],
      options: DEFAULT_ATTRIBUTION_OPTIONS,
      billCost: costs,
    });
    expect(later.rows.map((r) => [r.x_CostSource, formatUsd(r.EffectiveCost)])).toEqual([
      ['list', '32.772600'],
    ]);
  });

  it('flags nodes attributed but absent from the bill, and stays under a generous threshold', async () => {
    const rows = [...atList, attributionRow('i-0notinthebill', HOURS[0]!, parseUsd('1.0'))];
    const result = reconcile({
      attribution: rows,
      bill: await bill(),
      fromMs: DAY,
      toMs: DAY + 86_400_000,
      thresholdPct: 50,
    });
    const unmatched = result.days.find((d) => d.accountId === '(not in bill)')!;
    expect(formatUsd(unmatched.parts.notInBillUsd)).toBe('-1.000000');
    expect(sumParts(unmatched.parts)).toBe(unmatched.varianceUsd);
    expect(result.days.find((d) => d.accountId === '444455556666')!.overThreshold).toBe(false);
  });
});

describe('savings at the bill effective rates', () => {
  it('claims a reclaimed p4d at what the Savings Plan makes it cost, not at list', async () => {
    const entry = ledgerEntry({
      lever: 'reclaim',
      target: P4D,
      reason: 'idle 2 h',
      mode: 'enforce',
      status: 'done',
      atMs: HOURS[2]!,
      periodStartMs: HOURS[2]!,
      periodEndMs: HOURS[2]! + 10 * HOUR_MS,
      counterfactualUsdPerHour: parseUsd('32.7726'),
      actualUsdPerHour: 0n,
    });
    const [saving] = savingsAtBillRates([entry], await bill());
    expect(formatUsd(saving!.listSavingUsd)).toBe('327.726000');
    expect(formatUsd(saving!.billSavingUsd)).toBe('219.576420');
    expect(saving!.discount.source).toBe('resource');
    // A target the bill does not name gets the bill's overall discount; one billed above list keeps its claim.
    const other = { ...entry, entryId: 'x', target: 'i-unknown' };
    const [fallback] = savingsAtBillRates([other], await bill());
    expect(fallback!.discount.source).toBe('bill');
    expect(fallback!.billSavingUsd < fallback!.listSavingUsd).toBe(true);
  });
});
