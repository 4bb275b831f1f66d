import { describe, expect, it } from 'vitest';
import { attributeHour, type HourInput } from '../../lib/attribution/hour.ts';
import { zAttributionOptions, type AttributionOptionsWire } from '../../lib/attribution/options.ts';
import { totalsBy } from '../../lib/attribution/summary.ts';
import { IDLE_OWNER, SHARED_OWNER } from '../../lib/domain/labels.ts';
import { formatUsd, parseUsd, sumUsd } from '../../lib/domain/money.ts';
import type { PurchaseOption } from '../../lib/domain/pool.ts';
import type { PriceQuote } from '../../lib/domain/price.ts';
import { HOUR_MS } from '../../lib/domain/time.ts';
import type { JobShare } from '../../lib/domain/usage.ts';
import { node, windows } from '../idle/build.ts';

const HOUR = Date.parse('2026-03-02T10:00:00Z');

function quote(poolId: string, option: PurchaseOption, usd: string): PriceQuote {
  return {
    poolId,
    option,
    usdPerHour: parseUsd(usd),
    asOf: '2026-03-01T00:00:00Z',
    source: 'catalog',
    modelled: false,
  };
}

/** A job's GPU-seconds for the hour, spread evenly over the 12 windows. */
function perWindow(jobs: JobShare[]): JobShare[] {
  return jobs.map((j) => ({ ...j, gpuSeconds: j.gpuSeconds / 12 }));
}

function hour(
  input: Omit<Partial<HourInput>, 'options'> & { options?: AttributionOptionsWire },
): ReturnType<typeof attributeHour> {
  return attributeHour({
    hourStartMs: HOUR,
    nodes: [],
    rollups: [],
    prices: [],
    ...input,
    options: zAttributionOptions.parse(input.options ?? {}),
  });
}

const money = (rows: { x_JobId: string; x_Team: string; EffectiveCost: bigint }[]) =>
  rows.map((r) => [r.x_JobId, r.x_Team, formatUsd(r.EffectiveCost)]);

describe('attributing one hour', () => {
  const a = node({ nodeId: 'i-a', poolId: 'pool-a', gpuCount: 2, labels: { team: 'vision' } });
  const jobs = [
    { jobId: 'job-1', user: 'ada', project: 'detect', team: 'vision', gpuSeconds: 3600 },
    { jobId: 'job-2', user: 'bo', project: 'chat', team: 'nlp', gpuSeconds: 1800 },
  ];
  const rollups = windows(a, HOUR + HOUR_MS, 12, {}, { jobs: perWindow(jobs) });

  it('splits an instance-hour over its jobs by busy GPU-seconds, with idle as its own line of the node team', () => {
    const out = hour({ nodes: [a], rollups, prices: [quote('pool-a', 'on-demand', '8.000000')] });
    expect(money(out.rows)).toEqual([
      [IDLE_OWNER, 'vision', '2.000000'],
      ['job-1', 'vision', '4.000000'],
      ['job-2', 'nlp', '2.000000'],
    ]);
    expect(out.fleetCostUsd).toBe(parseUsd('8'));
    expect(out.rows[1]).toMatchObject({
      ChargePeriodStart: '2026-03-02T10:00:00Z',
      ChargePeriodEnd: '2026-03-02T11:00:00Z',
      ResourceId: 'i-a',
      PricingCategory: 'Standard',
      x_User: 'ada',
      x_Project: 'detect',
      x_GpuSeconds: 3600,
      SkuPriceId: 'pool-a|on-demand',
    });
    expect(totalsBy(out.rows, 'x_Team').map((t) => [t.key, formatUsd(t.effectiveUsd)])).toEqual([
      ['vision', '6.000000'],
      ['nlp', '2.000000'],
    ]);
  });

  it('spreads idle cost over the node’s jobs when the policy says so, the odd micro-dollar to the largest remainder', () => {
    const out = hour({
      nodes: [a],
      rollups,
      prices: [quote('pool-a', 'on-demand', '8.000000')],
      options: { shareIdle: 'spread' },
    });
    expect(money(out.rows)).toEqual([
      ['job-1', 'vision', '5.333333'],
      ['job-2', 'nlp', '2.666667'],
    ]);
  });

  it('charges spot at the price paid with on-demand as list, and on-prem at the configured GPU-hour cost', () => {
    const spot = node({ nodeId: 'i-s', poolId: 'pool-a', purchaseOption: 'spot', gpuCount: 2 });
    const rack = node({
      nodeId: 'dgx-1',
      provider: 'onprem',
      poolId: 'lab',
      purchaseOption: 'on-prem',
      gpuCount: 8,
    });
    const out = hour({
      nodes: [spot, rack],
      prices: [quote('pool-a', 'on-demand', '8.000000'), quote('pool-a', 'spot', '2.500000')],
      options: { onPremUsdPerGpuHour: { default: '1.250000' } },
    });
    const byNode = totalsBy(out.rows, 'ResourceId');
    expect(byNode.map((t) => [t.key, formatUsd(t.effectiveUsd), formatUsd(t.listUsd)])).toEqual([
      ['dgx-1', '10.000000', '10.000000'],
      ['i-s', '2.500000', '8.000000'],
    ]);
    expect(out.rows.find((r) => r.ResourceId === 'i-s')!.PricingCategory).toBe('Dynamic');
  });

  it('amortizes commitments with the unused part included, on the committed nodes or as its own idle line', () => {
    const r1 = node({ nodeId: 'r-1', poolId: 'pool-r', purchaseOption: 'reserved', gpuCount: 1 });
    const out = hour({
      nodes: [r1],
      prices: [quote('pool-r', 'reserved', '5.000000')],
      options: {
        commitments: [
          { poolId: 'pool-r', instances: 2, usdPerHour: '5.000000' },
          { poolId: 'pool-empty', instances: 1, usdPerHour: '3.000000', team: 'infra' },
        ],
      },
    });
    expect(
      out.rows.map((r) => [r.ResourceId, r.x_Team, formatUsd(r.EffectiveCost), r.PricingCategory]),
    ).toEqual([
      ['commitment:pool-empty', 'infra', '3.000000', 'Committed'],
      ['r-1', 'vision', '10.000000', 'Committed'],
    ]);
    expect(out.fleetCostUsd).toBe(parseUsd('13'));
    const shared = hour({
      options: { commitments: [{ poolId: 'p', instances: 1, usdPerHour: '1.000000' }] },
    });
    expect(shared.rows[0]!.x_Team).toBe(SHARED_OWNER);
  });

  it('charges a node launched mid-hour for its part of the hour, and lists nodes without a price', () => {
    const late = node({ nodeId: 'late', poolId: 'pool-a', launchedAt: '2026-03-02T10:45:00Z' });
    const nameless = node({ nodeId: 'nameless', poolId: 'pool-x' });
    const out = hour({ nodes: [late, nameless], prices: [quote('pool-a', 'on-demand', '8.000000')] });
    expect(sumUsd(out.rows.map((r) => r.EffectiveCost))).toBe(parseUsd('2'));
    expect(out.unpriced).toEqual(['nameless']);
  });

  it('gives a MIG slice or a shared GPU the cost of its share', () => {
    const one = node({ nodeId: 'mig', poolId: 'pool-a', gpuCount: 1 });
    const slices = [
      { jobId: 'slice-1', team: 'a', gpuSeconds: 3600 / 7 },
      { jobId: 'slice-3', team: 'b', gpuSeconds: (3 * 3600) / 7 },
    ];
    const out = hour({
      nodes: [one],
      rollups: windows(one, HOUR + HOUR_MS, 12, {}, { jobs: perWindow(slices) }),
      prices: [quote('pool-a', 'on-demand', '7.000000')],
    });
    expect(money(out.rows)).toEqual([
      [IDLE_OWNER, 'vision', '3.000000'],
      ['slice-1', 'a', '1.000000'],
      ['slice-3', 'b', '3.000000'],
    ]);
  });
});
