// A model the solver's default method fails on is solved another way, and the answer says how.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadHighs, solveLp, solveModel } from '../../lib/optimizer/planner/highs.ts';
import { LpModel } from '../../lib/optimizer/planner/lp.ts';

const FAILING_LP = readFileSync(
  new URL('../fixtures/planner/highs-error-spot-share-0.3.lp', import.meta.url),
  'utf8',
);

describe('solveLp fallbacks', () => {
  it('the captured LP still fails with the default method (the fixture reproduces the crash)', async () => {
    const highs = await loadHighs();
    expect(() => highs.solve(FAILING_LP, { output_flag: false })).toThrow(/HiGHS error -1|Unable to solve/);
  });

  it('solves it with another method and says which', async () => {
    const solution = await solveLp(FAILING_LP);
    expect(solution.status).toBe('Optimal');
    expect(solution.fallback).toMatch(/default method failed .*; solved with /);
    // The interior-point answer is the same optimum the simplex with presolve off finds.
    const highs = await loadHighs();
    const reference = highs.solve(FAILING_LP, { output_flag: false, presolve: 'off' } as never);
    expect(reference.Status).toBe('Optimal');
    expect(solution.objective).toBeCloseTo(reference.ObjectiveValue, 3);
  });

  it('falls back the same way when the model is handed over as numbers', async () => {
    // The captured model rebuilt column by column and row by row, as the planner builds its models.
    const highs = await loadHighs();
    const parsed = highs.createModel({ format: 'lp', data: FAILING_LP });
    const model = new LpModel();
    try {
      const data = parsed.getModel('csr');
      for (let j = 0; j < data.numCols; j++)
        model.addColumn(parsed.getColName(j), data.colCost[j]!, {
          lower: data.colLower[j]!,
          upper: data.colUpper[j]!,
        });
      const { starts, indices, values } = data.matrix;
      for (let i = 0; i < data.numRows; i++) {
        const terms: [number, number][] = [];
        for (let k = starts[i]!; k < starts[i + 1]!; k++) terms.push([indices[k]!, values[k]!]);
        const [lower, upper] = [data.rowLower[i]!, data.rowUpper[i]!];
        if (lower === upper) model.addRow(parsed.getRowName(i), terms, '=', lower);
        else if (lower === -Infinity) model.addRow(parsed.getRowName(i), terms, '<=', upper);
        else model.addRow(parsed.getRowName(i), terms, '>=', lower);
      }
    } finally {
      parsed.dispose();
    }
    const solution = await solveModel(model, true);
    expect(solution.fallback).toMatch(/default method failed .*; solved with /);
    const reference = await solveLp(FAILING_LP);
    expect(solution.objective).toBeCloseTo(reference.objective, 3);
  });

  it('does not retry an infeasible model: infeasible is an answer', async () => {
    const lp = [
      'Minimize',
      ' obj: + 1 x',
      'Subject To',
      ' c1: + 1 x >= 2',
      'Bounds',
      ' 0 <= x <= 1',
      'End',
    ].join('\n');
    await expect(solveLp(lp)).rejects.toMatchObject({ status: 'Infeasible' });
  });
});
