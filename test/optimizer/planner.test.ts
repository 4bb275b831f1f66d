import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { costForSeconds, parseUsd, sumUsd } from '../../lib/domain/money.ts';
import { toRfc3339 } from '../../lib/domain/time.ts';
import { oracleCost } from '../../lib/optimizer/oracle.ts';
import {
  InfeasiblePlanError,
  planCapacity,
  type PlannerInput,
  type PlanResult,
} from '../../lib/optimizer/planner/index.ts';
import { flat, node, pool, quote, START_MS, workload } from './builders.ts';

const firstPeriod = (result: PlanResult, poolId: string) => {
  const counts = result.instances.get(poolId)!;
  return { onPrem: counts['on-prem'][0], spot: counts.spot[0], onDemand: counts['on-demand'][0] };
};

describe('planCapacity on cases solved by hand', () => {
  const onPrem = pool('dc1:a100', { provider: 'onprem', maxInstances: 2 });
  const cloud = pool('aws:p4d');

  it('uses sunk on-prem nodes first and buys on-demand only for the rest', async () => {
    const prices = [quote('dc1:a100', 'on-prem', '20.00'), quote('aws:p4d', 'on-demand', '32.77')];
    const base = {
      startMs: START_MS,
      horizonHours: 3,
      pools: [onPrem, cloud],
      prices,
      classes: [workload('train')],
    };
    const fits = await planCapacity({ ...base, demand: { train: flat(16, 3) } });
    expect(firstPeriod(fits, 'dc1:a100').onPrem).toBe(2);
    expect(firstPeriod(fits, 'aws:p4d').onDemand).toBe(0);
    expect(fits.plan.totalCostUsd).toBe(0n);

    const spills = await planCapacity({ ...base, demand: { train: flat(24, 3) } }, { integer: 'mip' });
    expect(firstPeriod(spills, 'dc1:a100').onPrem).toBe(2);
    expect(firstPeriod(spills, 'aws:p4d').onDemand).toBe(1);
    expect(spills.plan.totalCostUsd).toBe(3n * parseUsd('32.77'));
  });

  it('never puts more on spot than the class may run there', async () => {
    const prices = [
      quote('aws:p4d', 'on-demand', '32.77'),
      quote('aws:p4d', 'spot', '9.83', { spotInterruptionRatePerHour: 0.05 }),
    ];
    for (const spotShare of [0, 0.25, 0.3, 1]) {
      const result = await planCapacity({
        startMs: START_MS,
        horizonHours: 4,
        pools: [cloud],
        prices,
        classes: [workload('train', { spotShare })],
        demand: { train: [32, 32, 40, 24] },
      });
      result.periods.forEach((period, t) => {
        const spotGpus = result.instances.get('aws:p4d')!.spot[t]! * 8;
        expect(spotGpus).toBeLessThanOrEqual(spotShare * [32, 32, 40, 24][period.index]!);
        const gpus = result.instances.get('aws:p4d')!['on-demand'][t]! * 8 + spotGpus;
        expect(gpus).toBeGreaterThanOrEqual([32, 32, 40, 24][t]!);
      });
    }
  });

  it('never chooses a cheaper GPU with too little memory for the class', async () => {
    const small = pool('aws:g5', {
      gpuModel: 'A10G',
      gpuMemoryGiB: 24,
      interconnect: 'pcie',
      gpusPerInstance: 4,
    });
    const result = await planCapacity({
      startMs: START_MS,
      horizonHours: 2,
      pools: [small, cloud],
      prices: [quote('aws:g5', 'on-demand', '1.00'), quote('aws:p4d', 'on-demand', '32.77')],
      classes: [workload('llm', { minGpuMemoryGiB: 40 })],
      demand: { llm: flat(8, 2) },
    });
    expect(result.plan.lines.filter((l) => l.poolId === 'aws:g5')).toEqual([]);
    expect(firstPeriod(result, 'aws:p4d').onDemand).toBe(1);
  });

  it('reports an input no pool can serve as an error naming the demand constraint', async () => {
    const small = pool('aws:g5', {
      gpuModel: 'A10G',
      gpuMemoryGiB: 24,
      interconnect: 'pcie',
      gpusPerInstance: 4,
    });
    const attempt = planCapacity({
      startMs: START_MS,
      horizonHours: 2,
      pools: [small],
      prices: [quote('aws:g5', 'on-demand', '1.00')],
      classes: [workload('llm', { minGpuMemoryGiB: 40 })],
      demand: { llm: flat(8, 2) },
    });
    await expect(attempt).rejects.toThrow(InfeasiblePlanError);
    await expect(attempt).rejects.toThrow(/demand_llm_0 .*no pool with a price serves class llm \(≥ 40 GiB/);
  });

  it('reports demand beyond fixed capacity as an error naming each short demand row', async () => {
    const error = await planCapacity({
      startMs: START_MS,
      horizonHours: 3,
      pools: [onPrem],
      prices: [],
      classes: [workload('train')],
      demand: { train: [8, 20, 16] },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InfeasiblePlanError);
    const shortfalls = (error as InfeasiblePlanError).shortfalls;
    expect(shortfalls.map((s) => [s.constraint, s.shortGpus])).toEqual([['demand_class_train_1', 4]]);
    expect(shortfalls[0]!.reason).toContain('dc1:a100 [on-prem 16]');
  });

  it('prices every line as whole instances × price × hours, not the solver objective', async () => {
    const result = await planCapacity({
      startMs: START_MS,
      horizonHours: 30,
      pools: [cloud],
      prices: [quote('aws:p4d', 'on-demand', '32.773333')],
      classes: [workload('train')],
      demand: { train: flat(12, 30) },
    });
    for (const line of result.plan.lines) {
      const seconds = (Date.parse(line.periodEnd) - Date.parse(line.periodStart)) / 1000;
      expect(line.costUsd).toBe(costForSeconds(parseUsd('32.773333') * BigInt(line.instances), seconds));
    }
    expect(result.plan.totalCostUsd).toBe(sumUsd(result.plan.lines.map((l) => l.costUsd)));
    expect(result.plan.totalCostUsd).toBe(2n * 30n * parseUsd('32.773333'));
    // Hourly for the first day, then 4-hour blocks.
    expect(result.periods.map((p) => p.hours)).toEqual([...flat(1, 24), 4, 2]);
  });

  it('chooses the GPU with the better price per unit of work', async () => {
    const fast = pool('aws:fast', { gpuModel: 'H100' });
    const slow = pool('aws:slow', { gpuModel: 'V100' });
    const prices = [quote('aws:fast', 'on-demand', '40.00'), quote('aws:slow', 'on-demand', '24.00')];
    const input = {
      startMs: START_MS,
      horizonHours: 2,
      pools: [fast, slow],
      prices,
      classes: [workload('train')],
      demand: { train: flat(16, 2) },
    };
    const faster = await planCapacity({ ...input, gpuThroughput: { H100: 2, V100: 1 } });
    expect(firstPeriod(faster, 'aws:fast').onDemand).toBe(1);
    expect(firstPeriod(faster, 'aws:slow').onDemand).toBe(0);
    const barely = await planCapacity({ ...input, gpuThroughput: { H100: 1.5, V100: 1 } });
    expect(firstPeriod(barely, 'aws:slow').onDemand).toBe(2);
    expect(barely.plan.explanations.find((e) => e.poolId === 'aws:slow')!.text).toMatch(/next best/);
  });

  it('launches ahead of rising demand when nodes take time to boot', async () => {
    const slowBoot = pool('aws:p4d', { bootSeconds: 1800 });
    const result = await planCapacity({
      startMs: START_MS,
      horizonHours: 6,
      pools: [slowBoot],
      prices: [quote('aws:p4d', 'on-demand', '10.00')],
      classes: [workload('train')],
      demand: { train: [0, 0, 8, 8, 8, 8] },
    });
    expect(result.instances.get('aws:p4d')!['on-demand']).toEqual([0, 1, 1, 1, 1, 1]);
  });

  it('moves work back from on-demand to spot once spot is cheap again, from the current fleet', async () => {
    const fleet = [0, 1, 2].map((i) =>
      node(`i-od${i}`, cloud, 'on-demand', { launchedAt: toRfc3339(START_MS - 6 * 3600_000) }),
    );
    const input: PlannerInput = {
      startMs: START_MS,
      horizonHours: 24,
      pools: [cloud],
      prices: [quote('aws:p4d', 'on-demand', '32.77'), quote('aws:p4d', 'spot', '9.83')],
      classes: [workload('batch', { spotShare: 1 })],
      demand: { batch: flat(24, 24) },
      fleet,
    };
    const back = await planCapacity(input);
    expect(firstPeriod(back, 'aws:p4d')).toEqual({ onPrem: 0, spot: 3, onDemand: 0 });
    // With no spot capacity now, the same fleet stays on on-demand.
    const stay = await planCapacity({ ...input, spotCapacity: { 'aws:p4d': 0 } });
    expect(firstPeriod(stay, 'aws:p4d')).toEqual({ onPrem: 0, spot: 0, onDemand: 3 });
  });

  it('keeps recently launched nodes for their minimum lifetime rather than flapping', async () => {
    const fleet = [node('i-new', cloud, 'on-demand', { launchedAt: toRfc3339(START_MS - 30 * 60_000) })];
    const result = await planCapacity(
      {
        startMs: START_MS,
        horizonHours: 4,
        pools: [cloud],
        prices: [quote('aws:p4d', 'on-demand', '32.77')],
        classes: [workload('train')],
        demand: { train: [0, 0, 0, 0] },
        fleet,
      },
      { minLifetimeHours: 2 },
    );
    expect(result.instances.get('aws:p4d')!['on-demand']).toEqual([1, 1, 0, 0]);
  });

  it('plans a fleet that holds more recent nodes than the pool now allows (keeps what the limit allows)', async () => {
    const limited = pool('aws:p4d', { maxInstances: 1 });
    const recently = toRfc3339(START_MS - 30 * 60_000);
    const result = await planCapacity({
      startMs: START_MS,
      horizonHours: 3,
      pools: [limited],
      prices: [quote('aws:p4d', 'on-demand', '32.77'), quote('aws:p4d', 'spot', '9.83')],
      classes: [workload('batch', { spotShare: 1 })],
      demand: { batch: flat(0, 3) },
      fleet: [
        node('i-od', limited, 'on-demand', { launchedAt: recently }),
        node('i-spot', limited, 'spot', { launchedAt: recently }),
      ],
    });
    const counts = result.instances.get('aws:p4d')!;
    expect(counts.spot[0]! + counts['on-demand'][0]!).toBe(1);
  });

  it('spreads spot over pools so that none carries more than its share', async () => {
    const a = pool('aws:a');
    const b = pool('aws:b');
    const result = await planCapacity({
      startMs: START_MS,
      horizonHours: 2,
      pools: [a, b],
      prices: [
        quote('aws:a', 'spot', '9.00'),
        quote('aws:b', 'spot', '12.00'),
        quote('aws:a', 'on-demand', '32.00'),
      ],
      classes: [workload('batch', { spotShare: 1 })],
      demand: { batch: flat(80, 2) },
    });
    const spotA = result.instances.get('aws:a')!.spot[0]!;
    const spotB = result.instances.get('aws:b')!.spot[0]!;
    expect(spotA).toBeLessThanOrEqual(0.5 * (spotA + spotB) + 2);
    expect(spotA + spotB + result.instances.get('aws:a')!['on-demand'][0]!).toBeGreaterThanOrEqual(10);
  });
});

describe('the oracle', () => {
  const pools = [
    pool('dc:a100', { provider: 'onprem', maxInstances: 1 }),
    pool('aws:a100'),
    pool('aws:l4', { gpuModel: 'L4', gpuMemoryGiB: 24, interconnect: 'pcie', gpusPerInstance: 4 }),
  ];
  const arbitrary = fc.record({
    demandBig: fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 6, maxLength: 6 }),
    demandSmall: fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 6, maxLength: 6 }),
    spotBig: fc.integer({ min: 1, max: 40 }),
    spotSmall: fc.integer({ min: 1, max: 20 }),
    spotShare: fc.constantFrom(0, 0.5, 1),
    spotAvailable: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 6, maxLength: 6 }),
    reserved: fc.integer({ min: 0, max: 2 }),
    churnHoursPerLaunch: fc.constantFrom(0, 0.25, 2),
  });

  it('never costs more than a plan on the same inputs', async () => {
    await fc.assert(
      fc.asyncProperty(arbitrary, async (c) => {
        const input = {
          startMs: START_MS,
          horizonHours: 6,
          pools,
          prices: [
            quote('aws:a100', 'on-demand', '32.00'),
            quote('aws:a100', 'spot', `${c.spotBig}.00`, { spotInterruptionRatePerHour: 0.1 }),
            quote('aws:a100', 'reserved', '20.00'),
            quote('aws:l4', 'on-demand', '4.00'),
            quote('aws:l4', 'spot', `${c.spotSmall / 10}`),
          ],
          classes: [
            workload('big', { minGpuMemoryGiB: 40, spotShare: c.spotShare }),
            workload('small', { spotShare: 1 }),
          ],
          reservedInstances: { 'aws:a100': c.reserved },
          gpuThroughput: { L4: 0.5 },
        };
        const demand = { big: c.demandBig, small: c.demandSmall };
        const spot = { 'aws:a100': c.spotAvailable, 'aws:l4': c.spotAvailable };
        const plan = await planCapacity(
          { ...input, demand, spotCapacity: spot },
          {
            churnHoursPerLaunch: c.churnHoursPerLaunch,
            periodLayout: [{ blockHours: 2, untilHour: Infinity }],
          },
        );
        const oracle = await oracleCost({ ...input, actualDemand: demand, spotAvailable: spot });
        expect(oracle.totalCostUsd).toBeLessThanOrEqual(plan.plan.totalCostUsd);
      }),
      { numRuns: 12, seed: 20260302 },
    );
  });

  it('finds the hand-computed floor: on-prem first, then the cheapest feasible mix each hour', async () => {
    const result = await oracleCost({
      startMs: START_MS,
      horizonHours: 2,
      pools,
      prices: [quote('aws:a100', 'on-demand', '32.00'), quote('aws:a100', 'spot', '10.00')],
      classes: [workload('big', { minGpuMemoryGiB: 40, spotShare: 0.5 })],
      actualDemand: { big: [8, 32] },
    });
    // Hour 0: the on-prem node. Hour 1: on-prem 8 + spot 16 (the share allows 16) + on-demand 8.
    expect(result.hourlyCostUsd).toEqual([0n, parseUsd('52.00')]);
  });
});
