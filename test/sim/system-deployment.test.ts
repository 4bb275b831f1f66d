// The system replay runs the deployed system's settings: its runs' options come from a deploy config through the run catalogue.
import { describe, expect, it } from 'vitest';
import { DECISION_DEFAULTS } from '../../lib/optimizer/decide.ts';
import { zForecastConfig } from '../../lib/runs/forecast.ts';
import { zOptimizeConfig } from '../../lib/runs/optimize.ts';
import { zReclaimConfig } from '../../lib/runs/reclaim.ts';
import { replayRunOptions, simulatedDeployment } from '../../lib/sim/system/deployment.ts';
import { ValidationError } from '../../lib/domain/validation.ts';
import { twoZoneScenario } from './builders.ts';

const scenario = twoZoneScenario({
  name: 'two zones',
  hours: 48,
  warmupHours: 24,
  demand: Array.from({ length: 48 }, () => 16),
  spotA: Array.from({ length: 48 }, () => 4),
  spotB: Array.from({ length: 48 }, () => 4),
  prices: { onDemand: 24_480_000n, reservedA: 15_000_000n, spotA: 7_000_000n, spotB: 7_500_000n },
});

describe('the simulated deployment', () => {
  it('plans with the decision settings the fast model uses (the defaults every deployment gets)', () => {
    const optimize = zOptimizeConfig.parse(replayRunOptions(simulatedDeployment(scenario)).optimize);
    const { mode, killSwitch, maxActionsPerRun, ...decision } = optimize;
    expect(decision).toEqual(DECISION_DEFAULTS);
    expect(mode).toBe('enforce');
    expect(killSwitch).toBe(false);
    expect(maxActionsPerRun).toBe(1000);
  });

  it('forecasts as far ahead as the optimizer plans, and reclaims in enforce mode', () => {
    const options = replayRunOptions(simulatedDeployment(scenario));
    const forecast = zForecastConfig.parse(options.forecast);
    expect(forecast.horizonHours).toBeGreaterThanOrEqual(DECISION_DEFAULTS.horizonHours);
    expect(zReclaimConfig.parse(options.reclaim).policy.mode).toBe('enforce');
  });

  it('carries a section set in the deployment to the run, as a config file would', () => {
    const options = replayRunOptions(
      simulatedDeployment(scenario, {
        optimize: { horizonHours: 24, quantile: 'p50' },
        forecast: { historyDays: 7 },
        killSwitch: true,
      }),
    );
    const optimize = zOptimizeConfig.parse(options.optimize);
    expect(optimize.horizonHours).toBe(24);
    expect(optimize.quantile).toBe('p50');
    expect(optimize.killSwitch).toBe(true);
    expect(options.forecast.historyDays).toBe(7);
    expect(zReclaimConfig.parse(options.reclaim).policy.killSwitch).toBe(true);
  });

  it('refuses a setting out of bounds with the field named, as the deploy config does', () => {
    expect(() => simulatedDeployment(scenario, { optimize: { horizonHours: 10_000 } })).toThrow(
      ValidationError,
    );
    expect(() => simulatedDeployment(scenario, { optimize: { horizonHours: 10_000 } })).toThrow(
      /optimize\.horizonHours/,
    );
  });
});
