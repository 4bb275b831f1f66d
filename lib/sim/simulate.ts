// The whole replay: build the scenario from a trace, run every policy over it, and gather what the outputs need.
import type { LedgerEntry } from '../domain/ledger.ts';
import { compareArchitectures, type ArchitectureComparison, type OwnershipCosts } from './architectures.ts';
import { attributeRun, type RunAttribution } from './attribution.ts';
import { buildScenario, type BuildOptions } from './build-scenario.ts';
import { simulatedLedger } from './ledger.ts';
import { simulatePolicy, type Policy, type PolicyRun } from './engine.ts';
import {
  DEFAULT_PEER_PARAMS,
  onDemandPeakPolicy,
  reactiveOnDemandPolicy,
  spotFirstPolicy,
  spotReservedPolicy,
  type PeerParams,
} from './policies/baselines.ts';
import { oraclePolicy, type OracleOptions, type OracleSolution } from './policies/oracle.ts';
import { optimizerPolicy, type OptimizerPolicyOptions } from './policies/optimizer.ts';
import type { Scenario } from './scenario.ts';
import { replaySystem, type SystemReplayOptions, type SystemReplayResult } from './system/replay.ts';
import type { TraceProfile } from './traces.ts';

export const POLICY_NAMES = [
  'optimizer',
  'on-demand-peak',
  'reactive-on-demand',
  'spot-first',
  'spot-reserved',
  'oracle',
] as const;
/** The competent peers (every policy but the optimizer and the oracle). */
export const PEER_NAMES = ['on-demand-peak', 'reactive-on-demand', 'spot-first', 'spot-reserved'] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

export interface PlanSnapshot {
  hour: number;
  atMs: number;
  /** What the optimizer expected each class to need over the next hours (at its quantile). */
  forecastGpus: Record<string, number[]>;
}

export interface SimulationResult {
  scenario: Scenario;
  runs: PolicyRun[];
  /** The optimizer's bill split over classes and teams in FOCUS rows (absent when it was not run). */
  attribution?: RunAttribution;
  /** The optimizer's savings ledger against the all-on-demand peak fleet (needs both runs). */
  ledger?: LedgerEntry[];
  /** All cloud, all on-prem and hybrid, when asked for. */
  architectures?: ArchitectureComparison;
  /** The optimizer's forecast for the hour ahead at every hour, for forecast-vs-actual. */
  optimizerForecast: { hour: number; gpus: number }[];
  /** The last hours again, through the real runs on the embedded DynamoDB (when asked for). */
  system?: SystemReplayResult;
  /** The exact floor of the run (when the oracle was run): ratios to the oracle are to this. */
  oracle?: OracleSolution;
  /** Solver fallbacks and other notes of the run, for its log. */
  log: string[];
}

export interface SimulationOptions extends BuildOptions {
  policies?: readonly PolicyName[];
  optimizer?: OptimizerPolicyOptions;
  /** The peers' tuned parameters, per peer (default `DEFAULT_PEER_PARAMS`). */
  peers?: Partial<Record<PolicyName, PeerParams>>;
  oracle?: OracleOptions;
  /** Compare all cloud, all on-prem and hybrid at these costs of owning a GPU (needs the optimizer). */
  architectures?: OwnershipCosts;
  onProgress?: (policy: string, done: number, of: number) => void;
  /** Replay the last this many hours through the real runs on the embedded DynamoDB (0: not at all). */
  systemHours?: number;
}

function makePolicy(
  name: PolicyName,
  scenario: Scenario,
  options: SimulationOptions,
  optimizer: OptimizerPolicyOptions,
): Policy {
  const peer = options.peers?.[name] ?? DEFAULT_PEER_PARAMS;
  switch (name) {
    case 'optimizer':
      return optimizerPolicy(optimizer);
    case 'on-demand-peak':
      return onDemandPeakPolicy();
    case 'reactive-on-demand':
      return reactiveOnDemandPolicy(peer);
    case 'spot-first':
      return spotFirstPolicy(peer);
    case 'spot-reserved':
      return spotReservedPolicy(peer);
    case 'oracle':
      return oraclePolicy(scenario, options.oracle);
  }
}

/**
 * Where the system replay of the last `hours` starts: the fleet and the commitment the optimizer policy held in
 * the hour before, so that the real runs and the fast model start from the same place.
 */
export function systemTakeover(
  scenario: Scenario,
  optimizer: PolicyRun | undefined,
  hours: number,
): SystemReplayOptions {
  const fromHour = scenario.hours - hours;
  return {
    fromHour,
    hours,
    initialFleet: (optimizer?.bill ?? [])
      .filter((l) => l.kind === 'held' && l.hour === fromHour - 1)
      .map((l) => ({ poolId: l.poolId, option: l.option, instances: l.instances })),
    reservedInstances: optimizer ? Object.fromEntries(optimizer.reserved) : {},
  };
}

export async function runSimulation(
  profile: TraceProfile,
  options: SimulationOptions = {},
): Promise<SimulationResult> {
  const scenario = await buildScenario(profile, options);
  return simulateScenario(scenario, options);
}

export async function simulateScenario(
  scenario: Scenario,
  options: SimulationOptions = {},
): Promise<SimulationResult> {
  const names = options.policies ?? POLICY_NAMES;
  const optimizerForecast: SimulationResult['optimizerForecast'] = [];
  const log: string[] = [];
  const optimizerOptions: OptimizerPolicyOptions = {
    ...options.optimizer,
    onDemandForecast: (hour, gpus) => optimizerForecast.push({ hour, gpus }),
    onLog: (line) => log.push(line),
  };
  const runs: PolicyRun[] = [];
  let oracle: OracleSolution | undefined;
  for (const name of names) {
    const policy = makePolicy(name, scenario, options, optimizerOptions);
    runs.push(
      await simulatePolicy(scenario, policy, {
        onHour: (done, of) => options.onProgress?.(name, done, of),
      }),
    );
    if ('solution' in policy) {
      oracle = await (policy as ReturnType<typeof oraclePolicy>).solution();
      log.push(...oracle.notes.map((n) => `oracle: ${n}`));
    }
  }
  const optimizer = runs.find((r) => r.name === 'optimizer');
  const baseline = runs.find((r) => r.name === 'on-demand-peak');
  let architectures: ArchitectureComparison | undefined;
  if (options.architectures && optimizer) {
    options.onProgress?.('architectures', 0, 1);
    architectures = await compareArchitectures(scenario, options.architectures, optimizer, options.optimizer);
    options.onProgress?.('architectures', 1, 1);
  }
  let system: SystemReplayResult | undefined;
  const systemHours = Math.min(options.systemHours ?? 0, scenario.hours - scenario.warmupHours);
  if (systemHours > 0) {
    system = await replaySystem(scenario, {
      ...systemTakeover(scenario, optimizer, systemHours),
      onWarmup: (done, of) => options.onProgress?.('system warm-up', done, of),
      onHour: (done, of) => options.onProgress?.('system', done, of),
    });
  }
  return {
    ...(architectures ? { architectures } : {}),
    ...(system ? { system } : {}),
    scenario,
    runs,
    optimizerForecast,
    log,
    ...(oracle ? { oracle } : {}),
    ...(optimizer ? { attribution: attributeRun(scenario, optimizer) } : {}),
    ...(optimizer && baseline ? { ledger: simulatedLedger(scenario, optimizer, baseline) } : {}),
  };
}
