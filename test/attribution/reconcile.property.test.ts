import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attributeHour, runSecondsInHour } from '../../lib/attribution/hour.ts';
import { zAttributionOptions } from '../../lib/attribution/options.ts';
import type { FleetNode } from '../../lib/domain/fleet.ts';
import { costForSeconds, sumUsd } from '../../lib/domain/money.ts';
import type { PurchaseOption } from '../../lib/domain/pool.ts';
import type { PriceQuote } from '../../lib/domain/price.ts';
import { HOUR_MS, toRfc3339, WINDOW_MS } from '../../lib/domain/time.ts';
import type { WindowRollup } from '../../lib/domain/usage.ts';
import { node, rollup } from '../idle/build.ts';

const HOUR = Date.parse('2026-03-02T10:00:00Z');
const POOLS = ['pool-a', 'pool-b', 'pool-c'];
const OPTIONS: PurchaseOption[] = ['on-demand', 'spot', 'reserved', 'on-prem'];

const arbMicros = fc.bigInt({ min: 0n, max: 120_000_000n });
const arbJob = fc.record({
  jobId: fc.constantFrom('j1', 'j2', 'j3', 'j4', 'j5'),
  team: fc.option(fc.constantFrom('vision', 'nlp', 'infra'), { nil: undefined }),
  // MIG slices (sevenths), shares of a shared GPU, or whole GPUs, per window.
  gpuSeconds: fc.oneof(
    fc.integer({ min: 0, max: 7 }).map((k) => (300 * k) / 7),
    fc.double({ min: 0, max: 300, noNaN: true }),
    fc.constant(300),
  ),
});
const arbNode = fc.record({
  id: fc.integer({ min: 0, max: 50 }),
  pool: fc.constantFrom(...POOLS),
  option: fc.constantFrom(...OPTIONS),
  gpuCount: fc.integer({ min: 0, max: 8 }),
  state: fc.constantFrom('running', 'running', 'stopped', 'terminated'),
  launchedMinute: fc.option(fc.integer({ min: -120, max: 70 })),
  team: fc.option(fc.constantFrom('vision', 'nlp'), { nil: undefined }),
  windows: fc.array(fc.tuple(fc.integer({ min: 0, max: 11 }), fc.array(arbJob, { maxLength: 3 })), {
    maxLength: 14,
  }),
});
const arbInput = fc.record({
  nodes: fc.uniqueArray(arbNode, { selector: (n) => n.id, maxLength: 8 }),
  prices: fc.array(fc.tuple(fc.constantFrom(...POOLS), fc.constantFrom(...OPTIONS), arbMicros), {
    maxLength: 12,
  }),
  onPremPerGpu: fc.option(arbMicros, { nil: undefined }),
  commitments: fc.uniqueArray(
    fc.record({
      poolId: fc.constantFrom(...POOLS),
      instances: fc.integer({ min: 1, max: 4 }),
      usdPerHour: arbMicros,
    }),
    { selector: (c) => c.poolId, maxLength: 3 },
  ),
  shareIdle: fc.constantFrom('separate' as const, 'spread' as const),
});

type Input = typeof arbInput extends fc.Arbitrary<infer T> ? T : never;

function build(input: Input) {
  const nodes: FleetNode[] = input.nodes.map((s) =>
    node({
      nodeId: `n${s.id}`,
      poolId: s.pool,
      purchaseOption: s.option,
      gpuCount: s.gpuCount,
      state: s.state,
      labels: s.team ? { team: s.team } : {},
      ...(s.launchedMinute === null ? {} : { launchedAt: toRfc3339(HOUR + s.launchedMinute * 60_000) }),
    }),
  );
  const rollups: WindowRollup[] = input.nodes.flatMap((s, i) =>
    s.windows.map(([w, jobs], k) =>
      rollup(nodes[i]!, HOUR + w * WINDOW_MS, {}, { jobs: jobs.map((j) => ({ ...j })), eventId: `e${k}` }),
    ),
  );
  const prices: PriceQuote[] = input.prices.map(([poolId, option, usdPerHour]) => ({
    poolId,
    option,
    usdPerHour,
    asOf: '2026-03-01T00:00:00Z',
    source: 'catalog',
    modelled: false,
  }));
  const options = zAttributionOptions.parse({});
  options.shareIdle = input.shareIdle;
  if (input.onPremPerGpu !== undefined) options.onPremUsdPerGpuHour.default = input.onPremPerGpu;
  options.commitments = input.commitments;
  return { hourStartMs: HOUR, nodes, rollups, prices, options };
}

/** The fleet's cost for the hour, computed the plain way: each priced node at its rate, plus unused commitments. */
function expectedFleetCost(h: ReturnType<typeof build>): { effective: bigint; list: bigint } {
  const rateOf = (poolId: string, option: string) =>
    [...h.prices].reverse().find((p) => p.poolId === poolId && p.option === option)?.usdPerHour;
  let effective = 0n;
  let list = 0n;
  const reservedSeconds = new Map<string, number>();
  for (const n of h.nodes) {
    const windowsSeen = new Set(h.rollups.filter((r) => r.node.nodeId === n.nodeId).map((r) => r.windowStart))
      .size;
    const seconds = runSecondsInHour(n, windowsSeen, HOUR);
    const rate =
      n.purchaseOption === 'on-prem' && h.options.onPremUsdPerGpuHour.default !== undefined
        ? h.options.onPremUsdPerGpuHour.default * BigInt(n.gpuCount)
        : rateOf(n.poolId, n.purchaseOption);
    if (rate === undefined || seconds === 0) continue;
    effective += costForSeconds(rate, seconds);
    list += costForSeconds(rateOf(n.poolId, 'on-demand') ?? rate, seconds);
    if (n.purchaseOption === 'reserved')
      reservedSeconds.set(n.poolId, (reservedSeconds.get(n.poolId) ?? 0) + seconds);
  }
  for (const c of h.options.commitments) {
    const unused = Math.max(0, c.instances * 3600 - (reservedSeconds.get(c.poolId) ?? 0));
    effective += costForSeconds(c.usdPerHour, unused);
  }
  return { effective, list };
}

describe('attribution reconciles, whatever the fleet', () => {
  it('sums every hour to the fleet cost to the micro-dollar (so to the cent), with no negative part', () => {
    fc.assert(
      fc.property(arbInput, (input) => {
        const h = build(input);
        const out = attributeHour(h);
        const expected = expectedFleetCost(h);
        expect(sumUsd(out.rows.map((r) => r.EffectiveCost))).toBe(expected.effective);
        expect(out.fleetCostUsd).toBe(expected.effective);
        expect(sumUsd(out.rows.map((r) => r.BilledCost))).toBe(expected.effective);
        expect(sumUsd(out.rows.map((r) => r.ListCost))).toBe(expected.list);
        for (const r of out.rows) expect(r.EffectiveCost >= 0n && r.ListCost >= 0n).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it('writes the same rows when the same hour is attributed twice, whatever order the inputs come in', () => {
    fc.assert(
      fc.property(arbInput, (input) => {
        const h = build(input);
        const again = { ...h, nodes: [...h.nodes].reverse(), rollups: [...h.rollups].reverse() };
        expect(attributeHour(again).rows).toEqual(attributeHour(h).rows);
      }),
      { numRuns: 150 },
    );
  });

  it('keeps every row inside the hour it attributes', () => {
    fc.assert(
      fc.property(arbInput, (input) => {
        for (const r of attributeHour(build(input)).rows) {
          expect(Date.parse(r.ChargePeriodStart)).toBe(HOUR);
          expect(Date.parse(r.ChargePeriodEnd)).toBe(HOUR + HOUR_MS);
        }
      }),
      { numRuns: 50 },
    );
  });
});
