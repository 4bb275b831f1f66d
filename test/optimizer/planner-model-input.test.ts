// The planner hands HiGHS each model as numbers: the same model its LP text describes, solved to the same answer and the same plan.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toRfc3339 } from '../../lib/domain/time.ts';
import type { PriceQuote } from '../../lib/domain/price.ts';
import type { FleetNode } from '../../lib/domain/fleet.ts';
import { loadHighs, solveLp, solveModel } from '../../lib/optimizer/planner/highs.ts';
import {
  buildPeriods,
  DEFAULT_PLANNER_SETTINGS,
  planCapacity,
  type PlannerInput,
} from '../../lib/optimizer/planner/index.ts';
import { buildComponentModel } from '../../lib/optimizer/planner/model.ts';
import { buildOffers, splitComponents } from '../../lib/optimizer/planner/offers.ts';
import { node, pool, quote, START_MS, workload } from './builders.ts';

const MODELS = ['A100', 'H100', 'L4'] as const;

/** A random fleet: cloud and on-prem pools of three GPU models, spot with limits, reservations, live nodes. */
const arbitraryInput = fc
  .record({
    pools: fc.array(
      fc.record({
        model: fc.constantFrom(...MODELS),
        gpus: fc.constantFrom(1, 4, 8),
        onPrem: fc.integer({ min: 0, max: 9 }).map((n) => n < 3),
        maxInstances: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
        bootSeconds: fc.constantFrom(0, 300, 1800),
        onDemand: fc.integer({ min: 100, max: 4000 }),
        spot: fc.option(fc.integer({ min: 20, max: 99 }), { nil: undefined }),
        spotCapacity: fc.option(fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 30 }), {
          nil: undefined,
        }),
        reserved: fc.integer({ min: 0, max: 2 }),
        live: fc.integer({ min: 0, max: 3 }),
      }),
      { minLength: 3, maxLength: 8 },
    ),
    classes: fc.array(
      fc.record({
        models: fc.subarray([...MODELS], { minLength: 1 }),
        spotShare: fc.constantFrom(0, 0.3, 1),
        demand: fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 30 }),
      }),
      { minLength: 1, maxLength: 4 },
    ),
    horizonHours: fc.integer({ min: 2, max: 30 }),
  })
  .map(({ pools, classes, horizonHours }): PlannerInput => {
    const prices: PriceQuote[] = [];
    const fleet: FleetNode[] = [];
    const reservedInstances: Record<string, number> = {};
    const spotCapacity: Record<string, number[]> = {};
    const built = pools.map((p, i) => {
      const id = `${p.onPrem ? 'dc' : 'aws'}:pool-${i}`;
      const made = pool(id, {
        provider: p.onPrem ? 'onprem' : 'aws',
        gpuModel: p.model,
        gpusPerInstance: p.gpus,
        bootSeconds: p.bootSeconds,
        ...(p.onPrem
          ? { maxInstances: p.maxInstances ?? 2 }
          : p.maxInstances
            ? { maxInstances: p.maxInstances }
            : {}),
      });
      const usd = (cents: number) => (cents / 100).toFixed(2);
      if (!p.onPrem) {
        prices.push(quote(id, 'on-demand', usd(p.onDemand * p.gpus)));
        if (p.spot !== undefined) {
          prices.push(
            quote(id, 'spot', usd((p.onDemand * p.spot * p.gpus) / 100), {
              spotInterruptionRatePerHour: 0.01 * (i % 5),
            }),
          );
          if (p.spotCapacity) spotCapacity[id] = p.spotCapacity;
        }
        if (p.reserved > 0) {
          prices.push(quote(id, 'reserved', usd(p.onDemand * p.gpus * 0.6)));
          reservedInstances[id] = p.reserved;
        }
      }
      for (let n = 0; n < p.live; n++) {
        const option = p.onPrem ? 'on-prem' : p.spot !== undefined && n % 2 === 1 ? 'spot' : 'on-demand';
        fleet.push(
          node(`i-${i}-${n}`, made, option, { launchedAt: toRfc3339(START_MS - (n + 1) * 40 * 60_000) }),
        );
      }
      return made;
    });
    const demand: Record<string, number[]> = {};
    const workloads = classes.map((c, k) => {
      demand[`class-${k}`] = c.demand;
      return workload(`class-${k}`, { allowedGpuModels: c.models, spotShare: c.spotShare });
    });
    return {
      startMs: START_MS,
      horizonHours,
      pools: built,
      prices,
      classes: workloads,
      demand,
      fleet,
      reservedInstances,
      spotCapacity,
      gpuThroughput: { H100: 2 },
    };
  });

function componentModels(input: PlannerInput) {
  const periods = buildPeriods(input.startMs, input.horizonHours);
  return splitComponents(input.classes, buildOffers(input))
    .filter((component) => component.offers.length > 0)
    .map(
      (component) => buildComponentModel(component, periods, input.demand, DEFAULT_PLANNER_SETTINGS).model,
    );
}

const RUNS = { numRuns: 12, seed: 20260302 };

describe('the planner hands HiGHS its models as numbers', () => {
  it('the very model its LP text describes: same columns in the same order, same bounds, costs and matrix', async () => {
    const highs = await loadHighs();
    await fc.assert(
      fc.asyncProperty(arbitraryInput, async (input) => {
        for (const model of componentModels(input)) {
          for (const relax of [true, false]) {
            const fromText = highs.createModel({ format: 'lp', data: model.toLpText(relax) });
            try {
              const fromNumbers = model.toHighsModel(relax);
              const parsed = fromText.getModel('csc');
              const names = Array.from({ length: parsed.numCols }, (_, j) => fromText.getColName(j));
              expect(fromNumbers.columnNames).toEqual(names);
              const ours = fromNumbers.data;
              expect(ours.numRows).toBe(parsed.numRows);
              for (const key of ['colCost', 'colLower', 'colUpper', 'rowLower', 'rowUpper'] as const)
                expect([...ours[key]], key).toEqual([...parsed[key]]);
              expect([...ours.matrix.starts]).toEqual([...parsed.matrix.starts]);
              expect([...ours.matrix.indices]).toEqual([...parsed.matrix.indices]);
              expect([...ours.matrix.values]).toEqual([...parsed.matrix.values]);
              expect([...(ours.integrality ?? new Array<number>(parsed.numCols).fill(0))]).toEqual([
                ...parsed.integrality,
              ]);
            } finally {
              fromText.dispose();
            }
          }
        }
      }),
      RUNS,
    );
  });

  it('solves each part to the answer the LP text solves to, and plans at the cost of those answers', async () => {
    await fc.assert(
      fc.asyncProperty(arbitraryInput, async (input) => {
        let referenceObjective = 0;
        for (const model of componentModels(input)) {
          const reference = await solveLp(model.toLpText(true), { solver: 'simplex' });
          const fast = await solveModel(model, true, { solver: 'simplex' });
          expect(fast.objective).toBe(reference.objective);
          for (const [name, value] of reference.values) expect(fast.values.get(name), name).toBe(value);
          referenceObjective += reference.objective;
        }
        const planned = await planCapacity(input).catch((error: Error) => error);
        // Demand beyond every pool's limit is reported, not planned: the objective is compared when a plan exists.
        if (planned instanceof Error) expect(planned.name).toBe('InfeasiblePlanError');
        else expect(planned.objective).toBeCloseTo(referenceObjective, 6);
      }),
      RUNS,
    );
  });
});
