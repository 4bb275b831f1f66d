// The deployment the system replay stands in for: a deploy config of the scenario's pools and classes, from which every run's options come through the run catalogue, as the stack derives them.
import type { z } from 'zod';
import { parseDeployConfig, type DeployConfig, type zDeployConfig } from '../../system/config.ts';
import { RUNS } from '../../system/catalogue.ts';
import type { ForecastConfig } from '../../runs/forecast.ts';
import type { OptimizeConfigInput } from '../../runs/optimize.ts';
import type { ReclaimConfigInput } from '../../runs/reclaim.ts';
import { latePenaltyMultiplier, type Scenario } from '../scenario.ts';

/** What a replay may set of the deploy config (any section, as in a config file); the rest is the defaults. */
export type DeploymentOverrides = Partial<z.input<typeof zDeployConfig>>;

// Identifiers a deploy config must name that the simulated cloud never reads; valid in form so the config parses.
const SIMULATED_IDENTIFIERS = {
  launchTemplateId: 'lt-00000000000000000',
  report: { from: 'reports@example.com', recipients: ['finops@example.com'] },
} as const;

/**
 * The deploy config of a simulated deployment in enforce mode, pricing lateness as the scenario does. The
 * simulated fleet is launched whole in the replay's first hour, so one optimize run may act on every pool at
 * once (`optimize.maxActionsPerRun`).
 */
export function simulatedDeployment(scenario: Scenario, overrides: DeploymentOverrides = {}): DeployConfig {
  const region = scenario.pools.find((p) => p.pool.provider === 'aws')?.pool.region ?? 'us-east-1';
  return parseDeployConfig(
    {
      region,
      mode: 'enforce',
      ...SIMULATED_IDENTIFIERS,
      classes: scenario.classes.map((c) => c.workload),
      ...overrides,
      optimize: {
        maxActionsPerRun: 1000,
        latePenaltyMultiplier: latePenaltyMultiplier(scenario),
        ...overrides.optimize,
      },
    },
    'simulated deployment',
  );
}

/** The options of the scheduled runs the replay calls, exactly as the deployed functions would get them. */
export interface ReplayRunOptions {
  forecast: ForecastConfig;
  optimize: OptimizeConfigInput;
  reclaim: ReclaimConfigInput;
}

export function replayRunOptions(config: DeployConfig): ReplayRunOptions {
  return {
    forecast: RUNS.forecast.options(config),
    optimize: RUNS.optimize.options(config),
    reclaim: RUNS.reclaim.options(config),
  };
}
