// What each function may do: its table actions, the bus, EC2, SES, the Slack secret; the one list IAM is built from.

/** DynamoDB actions by the repository calls that need them (see lib/store/KEYS.md). */
export const TABLE_ACTIONS = {
  /** forecasts/plans/ledger/attribution/classes/prices/rollups reads, nodes.list */
  query: 'dynamodb:Query',
  /** nodes.get, plans.get, bills.putExport */
  get: 'dynamodb:GetItem',
  /** nodes.put, forecasts.put, plans.create, ledger.record, classes.put */
  put: 'dynamodb:PutItem',
  /** nodes.patch */
  update: 'dynamodb:UpdateItem',
  /** rollups.put, attribution.putHour, prices.put, bills.putExport */
  batchWrite: 'dynamodb:BatchWriteItem',
} as const;
export type TableAction = keyof typeof TABLE_ACTIONS;

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
  /** s3:GetObject on the configured bill-export bucket and prefix only. */
  readBillExports: boolean;
}

const NONE: FunctionAccess = {
  table: [],
  putEvents: false,
  ec2: 'none',
  sendEmail: false,
  readSlackSecret: false,
  readBillExports: false,
};

/** One entry per handler in functions/; a new run adds its line here and nothing else widens. */
export const FUNCTION_ACCESS = {
  // rollups.put, nodes.get / put / patch (agent batches, EC2 events, capacity snapshots)
  ingest: { ...NONE, table: ['get', 'put', 'update', 'batchWrite'] },
  // demand.between / put (batch), recent rollups.between, classes.list, forecasts.latest / put; Demand Anomaly events
  forecast: { ...NONE, table: ['query', 'put', 'batchWrite'], putEvents: true },
  // classes, forecasts, demand, prices, nodes.list; plans.create; launches and releases
  optimize: { ...NONE, table: ['query', 'get', 'put'], putEvents: true, ec2: 'launch-and-release' },
  // nodes.get / patch, classes.list, plans; replacements launched at once
  interruption: {
    ...NONE,
    table: ['query', 'get', 'put', 'update'],
    putEvents: true,
    ec2: 'launch-and-release',
  },
  // rollups.between, nodes.list / patch, plans.between, ledger.between / record, prices.all; marks and releases only
  reclaim: { ...NONE, table: ['query', 'put', 'update'], putEvents: true, ec2: 'release' },
  // rollups.between, nodes.list, prices.all; attribution.putHour
  attribute: { ...NONE, table: ['query', 'batchWrite'] },
  // polls Slurm / Kubernetes / Prometheus and puts their events on the bus
  connectors: { ...NONE, putEvents: true },
  // decision events in, Slack out
  notify: { ...NONE, readSlackSecret: true },
  // attribution, ledger, forecasts, plans, rollups reads; one e-mail out
  report: { ...NONE, table: ['query', 'get'], sendEmail: true },
  // attribution.between, bills.exports / putExport / rowsBetween; the landed export read; Budget Alert events
  importBill: { ...NONE, table: ['query', 'get', 'batchWrite'], putEvents: true, readBillExports: true },
} as const satisfies Record<string, FunctionAccess>;

export type FunctionName = keyof typeof FUNCTION_ACCESS;
export const FUNCTION_NAMES = Object.keys(FUNCTION_ACCESS) as FunctionName[];
