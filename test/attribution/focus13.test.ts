// Every row attribution writes, as FOCUS 1.3: the published column rules (types, nulls, split cost allocation).
import { describe, expect, it } from 'vitest';
import { attributionCsv } from '../../lib/attribution/export.ts';
import {
  FOCUS13_COLUMNS,
  focus13Csv,
  focus13Rows,
  zAllocatedMethodDetails,
  zFocus13Row,
} from '../../lib/attribution/focus13.ts';
import { attributeHour } from '../../lib/attribution/hour.ts';
import { zAttributionOptions } from '../../lib/attribution/options.ts';
import type { AttributionRow } from '../../lib/domain/attribution.ts';
import { migPartition, timeSlicePartition } from '../../lib/domain/gpu.ts';
import { IDLE_OWNER } from '../../lib/domain/labels.ts';
import { parseUsd } from '../../lib/domain/money.ts';
import type { PriceQuote } from '../../lib/domain/price.ts';
import { HOUR_MS } from '../../lib/domain/time.ts';
import { parseCsv } from '../../lib/format/csv.ts';
import { node, windows } from '../idle/build.ts';

const HOUR = Date.parse('2026-03-02T10:00:00Z');
const quote = (poolId: string, option: PriceQuote['option'], usd: string): PriceQuote => ({
  poolId,
  option,
  usdPerHour: parseUsd(usd),
  asOf: '2026-03-01T00:00:00Z',
  source: 'catalog',
  modelled: false,
});
const job = (jobId: string, team: string, gpuSeconds: number) => ({
  jobId,
  user: `${team}-user`,
  project: `${team}-project`,
  team,
  gpuSeconds: gpuSeconds / 12,
});

/** Rows of every kind attribution writes: whole GPUs, MIG, time-slicing, idle separate and spread, an unused commitment. */
function everyKindOfRow(): Record<'separate' | 'spread', AttributionRow[]> {
  const whole = node({ nodeId: 'i-whole', poolId: 'pool-a', gpuCount: 2, labels: { team: 'vision' } });
  const mig = node({
    nodeId: 'i-mig',
    poolId: 'pool-mig',
    gpuCount: 1,
    gpuPartition: migPartition('1g.10gb', 80),
  });
  const ts = node({ nodeId: 'i-ts', poolId: 'pool-ts', gpuCount: 1, gpuPartition: timeSlicePartition(4) });
  const rollups = [
    ...windows(
      whole,
      HOUR + HOUR_MS,
      12,
      {},
      { jobs: [job('=HYPERLINK("x")', 'vision', 3600), job('j2', 'nlp', 1800)] },
    ),
    ...windows(
      mig,
      HOUR + HOUR_MS,
      12,
      {},
      { jobs: [job('m1', 'alpha', 3 * 3600), job('m2', 'beta', 3600)] },
    ),
    ...windows(ts, HOUR + HOUR_MS, 12, {}, { jobs: [job('t1', 'alpha', 3600)] }),
  ];
  const prices = [
    quote('pool-a', 'on-demand', '8'),
    quote('pool-mig', 'on-demand', '7'),
    quote('pool-ts', 'on-demand', '1'),
  ];
  const out = { separate: [] as AttributionRow[], spread: [] as AttributionRow[] };
  for (const shareIdle of ['separate', 'spread'] as const) {
    out[shareIdle].push(
      ...attributeHour({
        hourStartMs: HOUR,
        nodes: [whole, mig, ts],
        rollups,
        prices: [...prices, quote('pool-r', 'reserved', '3')],
        options: zAttributionOptions.parse({
          shareIdle,
          commitments: [{ poolId: 'pool-r', instances: 1, usdPerHour: '3.000000', team: 'platform' }],
        }),
      }).rows,
    );
  }
  return out;
}

describe('FOCUS 1.3 attribution rows', () => {
  // One export holds one attribution of an hour: each idle policy is its own export.
  const { separate, spread } = everyKindOfRow();
  const rows = [...separate, ...spread];
  const focus = [...focus13Rows(separate), ...focus13Rows(spread)];

  it('every row meets the column schema (types and nullability)', () => {
    expect(focus.length).toBeGreaterThan(10);
    for (const row of focus) expect(zFocus13Row.safeParse(row).error).toBeUndefined();
  });

  it('allocated charges of one origin: ratios sum to 1, dimensions and method match', () => {
    const origins = new Map<string, { rows: typeof focus }>();
    focus.forEach((r, i) => {
      if (r.AllocatedMethodId === null) return;
      const key = `${r.ResourceId}|${r.ChargePeriodStart}|${i < separate.length ? 'separate' : 'spread'}`;
      const o = origins.get(key) ?? { rows: [] };
      o.rows.push(r);
      origins.set(key, o);
    });
    expect(origins.size).toBe(6);
    for (const { rows: allocated } of origins.values()) {
      const ratios = allocated.map((r) =>
        zAllocatedMethodDetails.parse(JSON.parse(r.AllocatedMethodDetails!)),
      );
      expect(ratios.reduce((a, d) => a + d.Elements[0]!.AllocatedRatio, 0)).toBeCloseTo(1, 12);
      for (const dim of [
        'ResourceId',
        'ResourceType',
        'RegionId',
        'SkuPriceId',
        'PricingCategory',
        'ChargePeriodEnd',
      ] as const)
        expect(new Set(allocated.map((r) => r[dim])).size).toBe(1);
      expect(new Set(allocated.map((r) => r.AllocatedMethodId)).size).toBe(1);
    }
  });

  it('the unallocated (idle) portion has no AllocatedResourceId; an allocated one names its job', () => {
    const idle = focus.filter((r) => r.x_JobId === IDLE_OWNER && r.AllocatedMethodId !== null);
    expect(idle.length).toBeGreaterThan(0);
    for (const r of idle) expect(r.AllocatedResourceId).toBeNull();
    for (const r of focus13Rows(separate).filter((x) => x.x_JobId === 'm1')) {
      expect(r.AllocatedResourceId).toBe('m1');
      expect(r.AllocatedMethodId).toBe('gpu-optimizer/shared-gpu-compute');
      expect(JSON.parse(r.AllocatedMethodDetails!)).toMatchObject({ x_GpuPartition: 'mig-1g.10gb' });
      // 3 slices of 7 for the hour: 3/7 of the H100's hour, 3/7 GPU-hours.
      expect(r.x_GpuHours).toBeCloseTo(3 / 7, 12);
      expect(r.EffectiveCost).toBe('3.000000');
    }
    const commitment = focus.filter((r) => r.ResourceType === 'Commitment');
    expect(commitment.length).toBeGreaterThan(0);
    for (const r of commitment)
      expect([r.AllocatedMethodId, r.AllocatedMethodDetails, r.AllocatedResourceId]).toEqual([
        null,
        null,
        null,
      ]);
  });

  it('the CSV holds the same columns, nulls as empty cells, and no live formula', () => {
    const parsed = parseCsv(focus13Csv(separate));
    expect(parsed[0]!.cells).toEqual(FOCUS13_COLUMNS);
    expect(parsed).toHaveLength(separate.length + 1);
    const jobAt = FOCUS13_COLUMNS.indexOf('x_JobId');
    const cells = parsed.slice(1).map((r) => r.cells);
    expect(cells.some((c) => c[jobAt] === `'=HYPERLINK("x")`)).toBe(true);
    for (const c of cells) expect(c.every((cell) => !/^[=+@\t\r]/.test(cell))).toBe(true);
    // The plain attribution CSV neutralises it too (it wrote a live formula before).
    expect(attributionCsv(rows)).toContain(`"'=HYPERLINK(""x"")"`);
  });
});
