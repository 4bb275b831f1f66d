// The run catalogue: every run declared once (trigger, config section, options, ports, table actions and IAM, metrics, sizing); stack, doors and replay read it.
import { z } from 'zod';
import { zAttributionOptions, type AttributionOptionsWire } from '../attribution/options.ts';
import { EVENT_TYPES, SOURCES } from '../domain/events.ts';
import { EC2_DETAIL_TYPES, EC2_SOURCE } from '../ingest/ec2-events.ts';
import { METRIC_NAMES } from '../infra/metric-names.ts';
import type { ForecastConfig } from '../runs/forecast.ts';
import type { InterruptionConfig } from '../runs/interruption.ts';
import type { OptimizeConfigInput } from '../runs/optimize.ts';
import type { PollConnectorsConfig } from '../runs/poll-connectors.ts';
import type { ReclaimConfigInput } from '../runs/reclaim.ts';
import type { RefreshPricesConfigInput } from '../runs/refresh-prices.ts';
import type { SyncConfigInput } from '../runs/sync-config.ts';
import type { DeployConfig } from './config.ts';

/** DynamoDB actions by the repository calls that need them (see lib/store/KEYS.md). */
export const TABLE_ACTIONS = {
  /** forecasts/plans/ledger/attribution/classes/prices/rollups reads, nodes.list */
  query: 'dynamodb:Query',
  /** nodes.get, plans.get, bills.putExport */
  get: 'dynamodb:GetItem',
  /** nodes.getMany */
  batchGet: 'dynamodb:BatchGetItem',
  /** nodes.put, forecasts.put, plans.create, ledger.record, classes.put */
  put: 'dynamodb:PutItem',
  /** nodes.patch */
  update: 'dynamodb:UpdateItem',
  /** rollups.put, attribution.putHour, prices.put, bills.putExport */
  batchWrite: 'dynamodb:BatchWriteItem',
} as const;
export type TableAction = keyof typeof TABLE_ACTIONS;

/**
 * A run whose redelivered trigger must not act twice (a second launch, a second Slack post, a second import):
 * Powertools idempotency keeps each event's outcome in the run's own partition of the table.
 */
export interface IdempotencySpec {
  /** JMESPath over the event: what makes two deliveries the same event. */
  eventKey: string;
  /** How long an outcome is kept: longer than the trigger's retries and event age. */
  expiresAfterSeconds: number;
}

/** The calls of Powertools' DynamoDB persistence layer, granted on the run's own idempotency partition only. */
export const IDEMPOTENCY_ACTIONS = [
  'dynamodb:PutItem',
  'dynamodb:GetItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
] as const;

/** The partition a run's idempotency records live in (see lib/store/KEYS.md). */
export const idempotencyPartition = (name: string) => `IDEMPOTENCY#${name}`;

/** EC2: none; release (stop / terminate / tags on managed instances); or launch as well (CreateFleet). */
export type Ec2Access = 'none' | 'release' | 'launch-and-release';

export interface FunctionAccess {
  table: readonly TableAction[];
  /** events:PutEvents on the stack's bus (decisions, connector events). */
  putEvents: boolean;
  ec2: Ec2Access;
  /** ses:SendEmail from the report identity. */
  sendEmail: boolean;
  /** secretsmanager:GetSecretValue of the Slack webhook secret. */
  readSlackSecret: boolean;
  /** secretsmanager:GetSecretValue of the connectors' secrets (Slurm JWT, Kubernetes token). */
  readConnectorSecrets: boolean;
  /** s3:GetObject on the configured bill-export bucket and prefix only. */
  readBillExports: boolean;
  /** Pricing API and spot price history (read-only, no resource-level permission). */
  readPrices: boolean;
  /** GetItem of the stored config (its partition only). */
  readConfig: boolean;
}

const NONE: FunctionAccess = {
  table: [],
  putEvents: false,
  ec2: 'none',
  sendEmail: false,
  readSlackSecret: false,
  readConnectorSecrets: false,
  readBillExports: false,
  readPrices: false,
  readConfig: true,
};

/** What a run is handed; the assembly builds each for aws, embedded or memory. */
export type PortName =
  | 'store'
  | 'events'
  | 'clock'
  | 'prices'
  | 'providers'
  | 'connectors'
  | 'mailer'
  | 'slack'
  | 'objects'
  | 'livePrices';

/** An EventBridge rule's pattern, on the stack's own bus or the region's default bus. */
export interface RuleSpec {
  /** Construct id of the rule (kept stable: a new id replaces the rule). */
  id: string;
  bus: 'own' | 'default';
  description: string;
  pattern: { source: string[]; detailType: string[]; detail?: Record<string, unknown> };
}

export type Trigger =
  | {
      kind: 'queue';
      rules: RuleSpec[];
      batchSize: number;
      maxBatchingWindowSeconds: number;
      maxReceives: number;
    }
  | {
      kind: 'schedule';
      expression: string;
      timeZone?: string;
      description: string;
      /** Also once at each deploy whose config changed (a fresh stack has prices in minutes, not a day). */
      alsoAtDeploy?: boolean;
    }
  | { kind: 'event'; rules: RuleSpec[]; maxEventAgeSeconds?: number; retryAttempts: number }
  | { kind: 's3-object'; rule: RuleSpec; maxEventAgeSeconds: number; retryAttempts: number }
  /** Run once each deploy whose config changed, after the config is stored. */
  | { kind: 'deploy' };

/** The variables a door reads; the stack sets exactly these (plus Powertools' own). */
export const ENVIRONMENT_KEYS = ['TABLE_NAME', 'EVENT_BUS_NAME', 'CONFIG_VERSION'] as const;
export type EnvironmentKey = (typeof ENVIRONMENT_KEYS)[number];

export interface RunEntry<Options = unknown> {
  /** The use case in lib/runs/. */
  run: string;
  /** The door: functions/<file>.ts. */
  functionFile: string;
  description: string;
  /** Whether this deployment has the run at all (notify needs Slack, import-bill a bucket …). */
  enabled(config: DeployConfig): boolean;
  trigger(config: DeployConfig): Trigger;
  /** The use case's options, from the config: the one place a setting turns into a run's behaviour. */
  options(config: DeployConfig): Options;
  ports: readonly PortName[];
  access: FunctionAccess;
  metrics: readonly string[];
  timeoutSeconds: number;
  memoryMb: number;
  /** Wasm the bundle loads from disk at run time (the planner's HiGHS). */
  wasm?: readonly 'highs'[];
  /** Runs that change capacity run one at a time: two overlapping runs would act on the same nodes twice. */
  reservedConcurrency?: number;
  idempotency?: IdempotencySpec;
}

/** EC2 events: state changes to ingest, notices to interruption, from this region and forwarded ones. */
const ec2Rules = (detailType: string[], what: string, target: string): RuleSpec[] =>
  (['default', 'own'] as const).map((bus) => ({
    id: `${bus === 'default' ? 'Ec2' : 'ForwardedEc2'}${what === 'state' ? 'StateChange' : 'SpotNotice'}Rule`,
    bus,
    description: `EC2 ${what === 'state' ? 'instance state changes' : 'spot interruption and rebalance notices'} (${bus === 'default' ? 'this region' : 'forwarded from other regions and accounts'}) → ${target}`,
    pattern: { source: [EC2_SOURCE], detailType },
  }));

const ingestedTypes = Object.entries(EVENT_TYPES)
  .filter(([, t]) => t.source === SOURCES.agent || t.source === SOURCES.connector)
  .map(([detailType]) => detailType);
const decisionTypes = Object.entries(EVENT_TYPES)
  .filter(([, t]) => t.source === SOURCES.decisions)
  .map(([detailType]) => detailType);

const always = () => true;
const scheduled = (expression: string, description: string) => (): Trigger => ({
  kind: 'schedule',
  expression,
  description,
});
/** Mode and kill switch are one for the whole system: the kill switch turns every capacity run to recommend. */
const effectiveMode = (config: DeployConfig) => (config.killSwitch ? 'recommend' : config.mode);

export const RUNS = {
  ingest: {
    run: 'ingest',
    functionFile: 'ingest',
    description: 'Agent, connector and EC2 state events → rollups and fleet state',
    enabled: always,
    trigger: () => ({
      kind: 'queue',
      batchSize: 100,
      maxBatchingWindowSeconds: 5,
      maxReceives: 5,
      rules: [
        {
          id: 'AgentAndConnectorEventsRule',
          bus: 'own',
          description: 'Agent GPU samples and connector snapshots → ingest queue',
          pattern: { source: [SOURCES.agent, SOURCES.connector], detailType: ingestedTypes },
        },
        ...ec2Rules([EC2_DETAIL_TYPES.stateChange], 'state', 'ingest queue'),
      ],
    }),
    options: () => ({}),
    ports: ['store', 'clock'],
    // rollups.put, nodes.getMany / get / put / patch, nodes.pendingFacts (Query) (agent batches, EC2 events, capacity snapshots)
    access: {
      ...NONE,
      table: ['query', 'get', 'batchGet', 'put', 'update', 'batchWrite'],
      readConfig: false,
    },
    metrics: [METRIC_NAMES.gpuUtilizationPct],
    timeoutSeconds: 60,
    memoryMb: 512,
  },
  forecast: {
    run: 'forecast',
    functionFile: 'forecast',
    description: 'Hourly demand forecast per workload class',
    enabled: always,
    trigger: scheduled('rate(1 hour)', 'hourly demand forecast'),
    options: (config): ForecastConfig => config.forecast,
    ports: ['store', 'events', 'clock'],
    // demand.between / put (batch), recent rollups.between, classes.list, forecasts.latest / between / put,
    // calibration.get / advance (conditional put); Demand Anomaly events
    access: { ...NONE, table: ['query', 'get', 'put', 'batchWrite'], putEvents: true },
    metrics: [METRIC_NAMES.forecastGpus, METRIC_NAMES.actualGpus, METRIC_NAMES.forecastP90CoveragePct],
    timeoutSeconds: 300,
    memoryMb: 1024,
  },
  optimize: {
    run: 'optimize',
    functionFile: 'optimize',
    description: 'Capacity plan (LP) and its actions, every 15 minutes',
    enabled: always,
    trigger: scheduled('rate(15 minutes)', 'capacity plan every 15 minutes'),
    options: (config): OptimizeConfigInput => {
      const { prices: _prices, ...section } = config.optimize;
      return { ...section, mode: effectiveMode(config), killSwitch: config.killSwitch };
    },
    ports: ['store', 'events', 'clock', 'prices', 'providers'],
    // classes, forecasts, demand, prices, nodes.list, the last six hours' plans (spot refusals); plans.create; launches and releases
    access: {
      ...NONE,
      table: ['query', 'get', 'put'],
      putEvents: true,
      ec2: 'launch-and-release',
      readConnectorSecrets: true,
    },
    metrics: [],
    timeoutSeconds: 300,
    memoryMb: 2048,
    wasm: ['highs'],
    reservedConcurrency: 1,
  },
  interruption: {
    run: 'interruption',
    functionFile: 'interruption',
    description: 'Spot interruption and rebalance notices: replan the pool now',
    enabled: always,
    trigger: () => ({
      kind: 'event',
      // The 2-minute notice must not wait in a batching window: its own rule, straight to the function.
      rules: ec2Rules(
        [EC2_DETAIL_TYPES.spotInterruption, EC2_DETAIL_TYPES.rebalance],
        'notice',
        'interruption function',
      ),
      maxEventAgeSeconds: 120,
      retryAttempts: 2,
    }),
    options: (config): InterruptionConfig => ({
      mode: effectiveMode(config),
      ...(config.interruption.gpuThroughput ? { gpuThroughput: config.interruption.gpuThroughput } : {}),
    }),
    ports: ['store', 'events', 'clock', 'prices', 'providers'],
    // nodes.get / patch, classes.list, the last six hours' plans (spot refusals); replacements launched at once
    access: {
      ...NONE,
      table: ['query', 'get', 'put', 'update'],
      putEvents: true,
      ec2: 'launch-and-release',
      readConnectorSecrets: true,
    },
    metrics: [],
    timeoutSeconds: 90,
    memoryMb: 1024,
    reservedConcurrency: 1,
    // One notice, one replacement: the notice itself is the key, whichever delivery or retry brings it.
    idempotency: {
      eventKey: '[source, "detail-type", detail."instance-id", time]',
      expiresAfterSeconds: 3600,
    },
  },
  reclaim: {
    run: 'reclaim',
    functionFile: 'reclaim',
    description: 'Idle GPU nodes: mark, grace, release, every 5 minutes',
    enabled: always,
    trigger: scheduled('rate(5 minutes)', 'idle reclaim every 5 minutes'),
    options: (config): ReclaimConfigInput => ({
      ...config.reclaim,
      policy: { ...config.reclaim.policy, mode: effectiveMode(config), killSwitch: config.killSwitch },
    }),
    ports: ['store', 'events', 'clock', 'providers'],
    // rollups.between, nodes.list / patch, plans.between, ledger.between / record, prices.all; marks and releases only
    access: {
      ...NONE,
      table: ['query', 'put', 'update'],
      putEvents: true,
      ec2: 'release',
      readConnectorSecrets: true,
    },
    metrics: [],
    timeoutSeconds: 120,
    memoryMb: 1024,
    reservedConcurrency: 1,
  },
  attribute: {
    run: 'attribute',
    functionFile: 'attribute',
    description: 'Hourly cost attribution (FOCUS rows)',
    enabled: always,
    trigger: scheduled('cron(5 * * * ? *)', 'hourly attribution, 5 minutes past'),
    options: (config): { options: AttributionOptionsWire } => ({ options: attributionWire(config) }),
    ports: ['store', 'clock'],
    // rollups.between, nodes.list, prices.all; attribution.putHour
    access: { ...NONE, table: ['query', 'batchWrite'] },
    metrics: [METRIC_NAMES.fleetCostUsd],
    timeoutSeconds: 300,
    memoryMb: 1024,
  },
  connectors: {
    run: 'poll-connectors',
    functionFile: 'connectors',
    description: 'Polls Slurm, Kubernetes and Prometheus onto the bus',
    enabled: (config) => config.connectors !== undefined,
    trigger: (config) => ({
      kind: 'schedule',
      expression: `rate(${config.pollConnectors.everyMinutes} minute${config.pollConnectors.everyMinutes === 1 ? '' : 's'})`,
      description: 'connectors poll',
    }),
    options: (config): PollConnectorsConfig => ({
      utilizationLookbackMinutes: config.pollConnectors.utilizationLookbackMinutes,
    }),
    ports: ['events', 'clock', 'connectors'],
    // polls Slurm / Kubernetes / Prometheus and puts their events on the bus
    access: { ...NONE, putEvents: true, readConnectorSecrets: true },
    metrics: [],
    timeoutSeconds: 120,
    memoryMb: 512,
  },
  notify: {
    run: 'notify',
    functionFile: 'notify',
    description: 'Decision events → Slack',
    enabled: (config) => config.slack !== undefined,
    trigger: () => ({
      kind: 'event',
      rules: [
        {
          id: 'DecisionsToSlackRule',
          bus: 'own',
          description: 'Decision events → Slack',
          pattern: { source: [SOURCES.decisions], detailType: decisionTypes },
        },
      ],
      retryAttempts: 2,
    }),
    options: (config) => config.slack!,
    ports: ['store', 'slack'],
    // decision events in, Slack out; what was posted (seen / thread: GetItem) and what Slack did not take kept in the table
    access: { ...NONE, table: ['query', 'get', 'put', 'batchWrite'], readSlackSecret: true },
    metrics: [METRIC_NAMES.slackUndelivered, METRIC_NAMES.slackOutboxDepth],
    timeoutSeconds: 30,
    memoryMb: 256,
    // EventBridge keeps an event's id across its retries (for up to a day): one post per event.
    idempotency: { eventKey: 'id', expiresAfterSeconds: 24 * 3600 },
  },
  report: {
    run: 'report',
    functionFile: 'report',
    description: 'Weekly savings report e-mail',
    enabled: always,
    trigger: (config) => ({
      kind: 'schedule',
      expression: config.report.schedule,
      timeZone: config.report.timeZone,
      description: 'weekly savings report',
    }),
    options: (config) => ({ from: config.report.from, recipients: config.report.recipients }),
    ports: ['store', 'clock', 'mailer'],
    // attribution, ledger, forecasts, plans, rollups reads; one e-mail out
    access: { ...NONE, table: ['query', 'get'], sendEmail: true },
    metrics: [METRIC_NAMES.weeklySpendUsd, METRIC_NAMES.savingsDoneUsd, METRIC_NAMES.savingsRecommendedUsd],
    timeoutSeconds: 120,
    memoryMb: 1024,
  },
  // A month's export is read whole before it is stored: time and memory for a large account's file.
  importBill: {
    run: 'import-bill',
    functionFile: 'import-bill',
    description: 'A new bill export in S3: import, reconcile with attribution, alert on variance',
    enabled: (config) => config.bills !== undefined,
    trigger: (config) => {
      const bills = config.bills!;
      return {
        kind: 's3-object',
        // An export is imported within 6 hours of landing, or its event goes to the delivery DLQ.
        maxEventAgeSeconds: 6 * 3600,
        retryAttempts: 2,
        rule: {
          id: 'BillExportCreatedRule',
          bus: 'default',
          description: `New bill exports under s3://${bills.bucket}/${bills.prefix} → import-bill function`,
          pattern: {
            source: ['aws.s3'],
            detailType: ['Object Created'],
            detail: {
              bucket: { name: [bills.bucket] },
              // prefix and suffix at once: one wildcard per suffix (the config refuses * and \ in both).
              object: { key: bills.suffixes.map((suffix) => ({ wildcard: `${bills.prefix}*${suffix}` })) },
            },
          },
        },
      };
    },
    options: (config) => {
      const bills = config.bills!;
      return {
        bucket: bills.bucket,
        prefix: bills.prefix,
        thresholdPct: bills.varianceThresholdPct,
        ...(bills.format ? { format: bills.format } : {}),
      };
    },
    ports: ['store', 'events', 'clock', 'objects'],
    // attribution.between, bills.exports / putExport / rowsBetween; the landed export read; Budget Alert events
    access: { ...NONE, table: ['query', 'get', 'batchWrite'], putEvents: true, readBillExports: true },
    metrics: [],
    timeoutSeconds: 900,
    memoryMb: 2048,
    // One object version, one import: a redelivery is not read again (the import itself also compares content).
    idempotency: {
      eventKey: '[source, "detail-type", detail.bucket.name, detail.object.key, detail.object.etag]',
      expiresAfterSeconds: 24 * 3600,
    },
  },
  refreshPrices: {
    run: 'refresh-prices',
    functionFile: 'refresh-prices',
    description:
      'Prices of the configured pools: Pricing API, spot history, instance types; the catalog as a marked fallback',
    enabled: always,
    trigger: (config) => ({
      kind: 'schedule',
      expression: `rate(${config.refreshPrices.everyHours} hour${config.refreshPrices.everyHours === 1 ? '' : 's'})`,
      description: 'price refresh',
      alsoAtDeploy: true,
    }),
    options: (config): RefreshPricesConfigInput => ({
      region: config.region,
      spotLookbackHours: config.refreshPrices.spotLookbackHours,
      maxAgeHours: config.optimize.prices.maxAgeHours,
    }),
    ports: ['store', 'events', 'clock', 'livePrices'],
    // prices.put / all (batch, query); Run Failed events when a source fails
    access: { ...NONE, table: ['query', 'batchWrite'], putEvents: true, readPrices: true },
    metrics: [],
    timeoutSeconds: 300,
    memoryMb: 1024,
  },
  syncConfig: {
    run: 'sync-config',
    functionFile: 'sync-config',
    description: "The config's pools and workload classes into the table, at every deploy",
    enabled: always,
    trigger: () => ({ kind: 'deploy' }),
    options: (config): SyncConfigInput => ({ pools: config.pools, classes: config.classes }),
    ports: ['store'],
    // pools.list / put / remove, classes.list / put / remove, prices.removePools
    access: { ...NONE, table: ['query', 'put', 'batchWrite'] },
    metrics: [],
    timeoutSeconds: 120,
    memoryMb: 512,
  },
} as const satisfies Record<string, RunEntry>;

export type FunctionName = keyof typeof RUNS;
export const FUNCTION_NAMES = Object.keys(RUNS) as FunctionName[];

/** The attribution options in the form the attribute run takes (money as decimal strings). */
export function attributionWire(config: DeployConfig): AttributionOptionsWire {
  return config.attribution ? z.encode(zAttributionOptions, config.attribution) : {};
}

/** The variables a run's door reads: the table for its store, config or idempotency records, the bus for its events, the config's version. */
export function environmentKeys(entry: RunEntry): EnvironmentKey[] {
  const keys: EnvironmentKey[] = [];
  if (entry.ports.includes('store') || entry.access.readConfig || entry.idempotency) keys.push('TABLE_NAME');
  if (entry.ports.includes('events')) keys.push('EVENT_BUS_NAME');
  if (entry.access.readConfig) keys.push('CONFIG_VERSION');
  return keys;
}

/** The schema a door parses its environment with: exactly its keys, each a non-empty string. */
export function environmentSchema(entry: RunEntry) {
  return z.object(
    Object.fromEntries(environmentKeys(entry).map((key) => [key, z.string().min(1)])),
  ) as z.ZodObject<Record<EnvironmentKey, z.ZodString>>;
}
