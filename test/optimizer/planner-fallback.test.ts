// A model the solver's default method fails on is solved another way, and the answer says how.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadHighs, solveLp } from '../../lib/optimizer/planner/highs.ts';

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
