// The deployment's configuration: one typed, validated object read from CDK context or a JSON file.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { zAttributionOptions } from '../attribution/options.ts';
import { BILL_FORMATS } from '../attribution/bills/bill-row.ts';
import { zConnectorsConfig } from '../connectors/config.ts';
import { zMode } from '../domain/plan.ts';
import { zPool } from '../domain/pool.ts';
import { describeZodError, ValidationError } from '../domain/validation.ts';
import { zIdleThresholdConfig } from '../optimizer/idle/thresholds.ts';

const zRegion = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'expected an AWS region, like eu-west-1');
const zAccount = z.string().regex(/^\d{12}$/, 'expected a 12-digit AWS account id');
const zEmail = z.email();

/** The retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

/**
 * A JSON document kept as written (it becomes a function's environment variable) but checked by the
 * schema of the code that will read it, so a bad value fails `cdk synth`, not the first invocation.
 */
function checkedJson<S extends z.ZodType>(schema: S) {
  return z.unknown().superRefine((value, ctx) => {
    const result = schema.safeParse(value);
    if (!result.success)
      for (const issue of result.error.issues)
        ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
  });
}

export const zDeployConfig = z
  .object({
    /** The region of the central stack (bus, table, functions). */
    region: zRegion,
    /** Pin the stack to one account; left out, the stack is environment-agnostic in account. */
    account: zAccount.optional(),
    stackName: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/)
      .default('GpuOptimizer'),
    /** recommend: plans and marks only; enforce: the runs launch and release managed capacity. */
    mode: zMode.default('recommend'),
    /** Stops every action at once, whatever the mode. */
    killSwitch: z.boolean().default(false),
    /** The AWS pools this deployment manages. */
    pools: z.array(zPool).default([]),
    /** The EC2 launch template the optimizer launches managed GPU instances from. */
    launchTemplateId: z
      .string()
      .regex(/^lt-[0-9a-f]{8,17}$/, 'expected a launch template id, like lt-0abc12345def67890'),
    /** The role of the launch template's instance profile, which CreateFleet passes to EC2; none when absent. */
    instanceRoleArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/)
      .optional(),
    thresholds: z
      .object({
        maxActionsPerRun: z.number().int().min(0).max(1000).default(10),
        planHorizonHours: z.number().int().min(1).max(336).default(168),
        forecastHorizonHours: z.number().int().min(1).max(336).default(48),
        forecastHistoryDays: z.number().int().min(2).max(120).default(28),
        maxReleasesPerRun: z.number().int().min(0).max(1000).default(5),
        maxPoolReleasePct: z.number().min(0).max(100).default(25),
        idle: checkedJson(zIdleThresholdConfig).optional(),
      })
      .prefault({}),
    /** Idle policy, on-prem GPU-hour costs and commitments for attribution and the ledger. */
    attribution: checkedJson(zAttributionOptions).optional(),
    report: z.object({
      /** The sender; SES must verify it (or its domain) before mail goes out. */
      from: zEmail,
      /** Verify a whole domain instead of the sender address (DKIM records to publish). */
      domain: z
        .string()
        .regex(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/)
        .optional(),
      recipients: z.array(zEmail).min(1),
      /** EventBridge Scheduler cron expression, in the time zone below. */
      schedule: z
        .string()
        .regex(/^cron\(.+\)$/)
        .default('cron(0 8 ? * MON *)'),
      timeZone: z.string().min(1).default('UTC'),
    }),
    slack: z
      .object({
        /** Name of the Secrets Manager secret whose value is the incoming-webhook URL (created by you). */
        webhookSecretName: z.string().min(1).max(512),
      })
      .optional(),
    /** Slurm / Kubernetes / Prometheus endpoints polled by the connectors run; none means no connectors run. */
    connectors: checkedJson(zConnectorsConfig).optional(),
    connectorsPollMinutes: z.number().int().min(1).max(60).default(5),
    /**
     * Where the cloud bill exports land (AWS Data Exports, or other providers' exports copied to S3): each new
     * object under the prefix is imported and reconciled. The bucket must be in the stack's region and send its
     * events to EventBridge (S3 console → Properties → Amazon EventBridge: On); the stack does not own the bucket.
     */
    bills: z
      .object({
        bucket: z
          .string()
          .regex(
            /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
            'expected an S3 bucket name, like cur-exports-111122223333',
          ),
        /** Key prefix of the exports, like `focus/gpu-focus/data/`; empty: the whole bucket. */
        prefix: z
          .string()
          .max(512)
          .regex(/^[^*\\]*$/, 'must not contain * or \\ (the rule matches it literally)')
          .default(''),
        /** Object key endings that are exports (Data Exports write .csv.gz; manifests and Parquet are left out). */
        suffixes: z
          .array(
            z
              .string()
              .min(1)
              .max(32)
              .regex(/^[^*\\]*$/, 'must not contain * or \\'),
          )
          .min(1)
          .default(['.csv', '.csv.gz']),
        /** The exports' format; left out, each file's header tells. */
        format: z.enum(BILL_FORMATS).optional(),
        /** A day and account whose bill and attribution differ by more than this % raises a Budget Alert. */
        varianceThresholdPct: z.number().min(0).max(100).default(5),
      })
      .optional(),
    /** Other regions (and accounts) whose EC2 spot and state events are forwarded to the central bus. */
    forwarding: z.array(z.object({ region: zRegion, account: zAccount.optional() })).default([]),
    /** Where alarm notifications go, besides the SNS topic; none: subscribe yourself. */
    alarmEmail: zEmail.optional(),
    logRetentionDays: z
      .number()
      .refine((days) => LOG_RETENTION_DAYS.includes(days), `one of ${LOG_RETENTION_DAYS.join(', ')}`)
      .default(30),
  })
  .superRefine((config, ctx) => {
    config.pools.forEach((pool, i) => {
      if (pool.provider !== 'aws')
        ctx.addIssue({
          code: 'custom',
          path: ['pools', i, 'provider'],
          message: 'the stack manages AWS pools only',
        });
      else if (pool.region !== config.region)
        ctx.addIssue({
          code: 'custom',
          path: ['pools', i, 'region'],
          message: `pools must be in the stack's region ${config.region}`,
        });
    });
    config.forwarding.forEach((f, i) => {
      if (f.account && !config.account)
        ctx.addIssue({
          code: 'custom',
          path: ['forwarding', i, 'account'],
          message: 'forwarding from another account needs the central account set (account)',
        });
      if (f.region === config.region && (f.account ?? config.account) === config.account)
        ctx.addIssue({
          code: 'custom',
          path: ['forwarding', i, 'region'],
          message: 'is the central stack itself',
        });
    });
    if (config.report.domain && !config.report.from.endsWith(`@${config.report.domain}`))
      ctx.addIssue({
        code: 'custom',
        path: ['report', 'from'],
        message: 'must be an address of report.domain',
      });
  });

export type DeployConfig = z.output<typeof zDeployConfig>;
export type DeployConfigInput = z.input<typeof zDeployConfig>;

/** Validates a config; a bad one names the field, like `report.recipients[0]: Invalid email address`. */
export function parseDeployConfig(input: unknown, what = 'deploy config'): DeployConfig {
  const result = zDeployConfig.safeParse(input);
  if (!result.success) throw new ValidationError(what, describeZodError(result.error));
  return result.data;
}

export function readDeployConfigFile(path: string): DeployConfig {
  let input: unknown;
  try {
    input = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ValidationError(`deploy config ${path}`, (error as Error).message);
  }
  return parseDeployConfig(input, `deploy config ${path}`);
}
