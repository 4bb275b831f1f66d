// The scenario builder's history: what a user asks for is what the run gets, or an error that says why not.
import { describe, expect, it } from 'vitest';
import { buildScenario, historyHoursOf, ScenarioError } from '../../lib/sim/build-scenario.ts';
import { resolveTrace } from '../../lib/sim/traces.ts';

describe('the history a scenario keeps', () => {
  it('keeps 28 days by default, cut to 40 % of a period too short for them', () => {
    expect(historyHoursOf(2000)).toBe(28 * 24);
    expect(historyHoursOf(16 * 24)).toBe(153);
  });

  it('keeps exactly the history asked for, and refuses history that leaves nothing to bill', () => {
    expect(historyHoursOf(16 * 24, 14 * 24)).toBe(14 * 24);
    expect(() => historyHoursOf(16 * 24, 16 * 24)).toThrow(ScenarioError);
    expect(() => historyHoursOf(100, 120)).toThrow(
      /120 hours of history leave nothing to bill in the 100-hour period: start the period earlier \(--from\) or ask for less history \(--warmup-days\)/,
    );
  });

  it('builds a trace window with the history asked for', async () => {
    const scenario = await buildScenario(resolveTrace('philly'), {
      lastHours: 16 * 24,
      warmupHours: 14 * 24,
    });
    expect(scenario.hours).toBe(16 * 24);
    expect(scenario.warmupHours).toBe(14 * 24);
    expect(scenario.assumptions.join('\n')).toMatch(/the first 336 are history only/);
  });
});
