import { describe, expect, it } from 'vitest';
import { attributionCsv } from '../../lib/attribution/export.ts';
import { ledgerEntry, weeklySavings } from '../../lib/attribution/ledger.ts';
import { formatUsd, parseUsd, sumUsd } from '../../lib/domain/money.ts';
import { HOUR_MS } from '../../lib/domain/time.ts';
import { fixedClock } from '../../lib/memory/clock.ts';
import { runAttribute } from '../../lib/runs/attribute.ts';
import { freshDynamoStore } from '../support/dynamo.ts';
import { node, windows } from '../idle/build.ts';

const HOUR = Date.parse('2026-03-02T10:00:00Z');

describe('attribute run on dynalite', () => {
  it('stores the last whole hour, reconciled to the fleet cost, and writes the same rows when run twice', async () => {
    const { store } = await freshDynamoStore();
    const a = node({ nodeId: 'i-a', poolId: 'pool-a', gpuCount: 2 });
    const b = node({ nodeId: 'i-b', poolId: 'pool-a', purchaseOption: 'spot', gpuCount: 2 });
    for (const n of [a, b]) await store.nodes.put(n);
    await store.prices.put(
      (
        [
          ['on-demand', '8.000000'],
          ['spot', '2.345678'],
        ] as const
      ).map(([option, usd]) => ({
        poolId: 'pool-a',
        option,
        usdPerHour: parseUsd(usd),
        asOf: '2026-03-01T00:00:00Z',
        source: 'catalog' as const,
        modelled: false,
      })),
    );
    const job = { jobId: 'job-1', user: 'ada', project: 'p', team: 'nlp', gpuSeconds: 100 / 3 };
    await store.rollups.put([
      ...windows(a, HOUR + HOUR_MS, 12, {}, { jobs: [job] }),
      ...windows(b, HOUR + HOUR_MS, 12, {}, { jobs: [{ ...job, jobId: 'job-2', gpuSeconds: 250 }] }),
    ]);
    const ports = { store, clock: fixedClock(HOUR + HOUR_MS + 7 * 60_000), log: () => {} };

    const first = await runAttribute(ports);
    expect(first.hourStartMs).toBe(HOUR);
    expect(formatUsd(first.fleetCostUsd)).toBe('10.345678');
    const stored = await store.attribution.between(HOUR, HOUR + HOUR_MS);
    expect(sumUsd(stored.map((r) => r.EffectiveCost))).toBe(first.fleetCostUsd);
    expect(stored.map((r) => [r.ResourceId, r.x_JobId])).toEqual([
      ['i-a', '__idle__'],
      ['i-a', 'job-1'],
      ['i-b', '__idle__'],
      ['i-b', 'job-2'],
    ]);

    await runAttribute(ports);
    const again = await store.attribution.between(HOUR, HOUR + HOUR_MS);
    expect(attributionCsv(again)).toBe(attributionCsv(stored));
  });

  it('keeps the ledger: a replayed entry is refused and weeks sum per lever', async () => {
    const { store } = await freshDynamoStore();
    const entry = ledgerEntry({
      lever: 'commitment',
      target: 'pool-a',
      reason: '1-year reservation',
      mode: 'recommend',
      status: 'recommended',
      atMs: HOUR,
      periodStartMs: HOUR,
      periodEndMs: HOUR + 24 * HOUR_MS,
      counterfactualUsdPerHour: parseUsd('8'),
      actualUsdPerHour: parseUsd('5.04'),
    });
    expect(await store.ledger.record(entry)).toBe('created');
    expect(await store.ledger.record({ ...entry, counterfactualCostUsd: parseUsd('999') })).toBe('exists');
    const weeks = weeklySavings(await store.ledger.between(HOUR - HOUR_MS, HOUR + HOUR_MS));
    expect(weeks.map((w) => [w.weekStart, w.lever, formatUsd(w.recommendedUsd)])).toEqual([
      ['2026-03-02T00:00:00Z', 'commitment', '71.040000'],
    ]);
  });
});
