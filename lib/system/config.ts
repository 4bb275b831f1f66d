// The system's one config: validated strictly at synth, stored in the table at deploy, read and cached by every run.
import { DEFAULT_STACK_NAME } from '../domain/bus.ts';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { zAttributionOptions } from '../attribution/options.ts';
import { zConnectorsConfig } from '../connectors/config.ts';
import { zMode } from '../domain/plan.ts';
import { zPool } from '../domain/pool.ts';
import { zWorkloadClass } from '../domain/workload.ts';
import { ValidationError } from '../domain/validation.ts';
import {
  zBillsSection,
  zForecastSection,
  zInterruptionSection,
  zOptimizeSection,
  zPollConnectorsSection,
  zRefreshPricesSection,
  zReclaimSection,
  zReportSection,
  zSlackSection,
} from './sections.ts';
import { parseStrict } from './strict.ts';

const zRegion = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'expected an AWS region, like eu-west-1');
const zAccount = z.string().regex(/^\d{12}$/, 'expected a 12-digit AWS account id');
const zSecretName = z
  .string()
  .min(1)
  .max(512)
  .regex(/^[A-Za-z0-9/_+=.@-]+$/, 'expected a Secrets Manager secret name, like gpu-optimizer/slurm-token');

/** A URL that carries no credential: those go in a secret, named by reference. */
const zPlainUrl = z.url().refine((url) => {
  // Checks run on after a failed format check: a URL that does not parse is the format's error, not this one's.
  if (!URL.canParse(url)) return true;
  const parsed = new URL(url);
  return !parsed.username && !parsed.password;
}, 'must not carry user:password@ (put the credential in a Secrets Manager secret and name it)');

/** The retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

const slurm = zConnectorsConfig.shape.slurm.unwrap();
const kubernetes = zConnectorsConfig.shape.kubernetes.unwrap();
const prometheus = zConnectorsConfig.shape.prometheus.unwrap();

/** The connectors as deployed: the same fleets, with every credential named (a secret) instead of written. */
export const zDeployConnectors = z
  .object({
    slurm: slurm
      .omit({ token: true })
      .extend({
        url: zPlainUrl,
        tokenSecretName: zSecretName.describe('Secrets Manager secret holding the slurmrestd JWT.'),
      })
      .optional(),
    kubernetes: kubernetes
      .omit({ token: true })
      .extend({
        url: zPlainUrl,
        tokenSecretName: zSecretName.optional().describe('Secrets Manager secret holding the bearer token.'),
      })
      .optional(),
    prometheus: prometheus.extend({ url: zPlainUrl }).optional(),
    gcp: zConnectorsConfig.shape.gcp,
    azure: zConnectorsConfig.shape.azure,
  })
  .describe('Slurm / Kubernetes / GCP / Azure / Prometheus fleets; none: AWS only.');
export type DeployConnectors = z.output<typeof zDeployConnectors>;

const zLaunchTemplateId = z
  .string()
  .regex(/^lt-[0-9a-f]{8,17}$/, 'expected a launch template id, like lt-0abc12345def67890');
const zSubnets = z
  .record(
    z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/, 'expected a zone, like us-east-1a'),
    z.string().regex(/^subnet-[0-9a-f]{8,17}$/),
  )
  .default({})
  .describe(
    'Subnet per availability zone for launches; a zone left out uses the launch template (or default VPC).',
  );
const zSecurityGroupIds = z
  .array(z.string().regex(/^sg-[0-9a-f]{8,17}$/))
  .default([])
  .describe("Security groups a launch may use (the launch template's); none: any of the account's.");

/** Where launches go in one region: the template, the subnets per zone, the security groups. */
export const zRegionLaunch = z.object({
  launchTemplateId: zLaunchTemplateId.describe('The EC2 launch template managed GPU instances start from.'),
  subnets: zSubnets,
  securityGroupIds: zSecurityGroupIds,
});

export const zDeployConfig = z
  .object({
    region: zRegion.describe('The region of the central stack (bus, table, functions).'),
    account: zAccount.optional().describe('Pin the stack to one account; left out, any account.'),
    stackName: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/)
      .default(DEFAULT_STACK_NAME)
      .describe('The stack name, also the event bus name the agents put to.'),
    mode: zMode
      .default('recommend')
      .describe('recommend: plans and marks only; enforce: launches and releases managed capacity.'),
    killSwitch: z.boolean().default(false).describe('Stops every action at once, whatever the mode.'),
    pools: z.array(zPool).default([]).describe('The AWS pools this deployment manages.'),
    classes: z
      .array(zWorkloadClass)
      .default([])
      .describe(
        'The workload classes demand is forecast and planned for (kept in the table at each deploy).',
      ),
    launchTemplateId: zLaunchTemplateId.describe('The launch template of the central region.'),
    instanceRoleArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/)
      .optional()
      .describe(
        "The role of the launch template's instance profile, which CreateFleet passes (iam:PassRole); left out, the stack's AgentRole (AgentInstanceProfile).",
      ),
    subnets: zSubnets,
    securityGroupIds: zSecurityGroupIds,
    regions: z
      .record(zRegion, zRegionLaunch)
      .default({})
      .describe('Launch settings of the other regions that hold pools (each must also be forwarded).'),
    attribution: zAttributionOptions
      .optional()
      .describe('Idle policy, on-prem GPU-hour costs and commitments.'),
    connectors: zDeployConnectors.optional(),
    agent: z
      .object({
        oidcProviderArn: z
          .string()
          .regex(/^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/.+$/)
          .optional()
          .describe("The EKS cluster's IAM OIDC provider, for IRSA."),
        serviceAccount: z
          .string()
          .regex(/^[a-z0-9-]+:[a-z0-9-]+$/, 'expected namespace:name')
          .default('gpu-optimizer:gpu-optimizer-agent')
          .describe('The Kubernetes service account of the agent DaemonSet (namespace:name), for IRSA.'),
        rolesAnywhereTrustAnchorArn: z
          .string()
          .regex(/^arn:aws[a-z-]*:rolesanywhere:[a-z0-9-]+:\d{12}:trust-anchor\/.+$/)
          .optional()
          .describe('IAM Roles Anywhere trust anchor of on-prem nodes.'),
      })
      .prefault({})
      .describe('Who may assume the agent role besides EC2 and EKS Pod Identity.'),
    forecast: zForecastSection.prefault({}),
    optimize: zOptimizeSection.prefault({}),
    interruption: zInterruptionSection.prefault({}),
    reclaim: zReclaimSection.prefault({}),
    pollConnectors: zPollConnectorsSection.prefault({}),
    refreshPrices: zRefreshPricesSection.prefault({}),
    report: zReportSection,
    slack: zSlackSection.optional(),
    bills: zBillsSection.optional(),
    forwarding: z
      .array(z.object({ region: zRegion, account: zAccount.optional() }))
      .default([])
      .describe('Other regions (and accounts) whose EC2 events are forwarded to the central bus.'),
    alarmEmail: z
      .email()
      .optional()
      .describe('Where alarm notifications go; none: subscribe to the topic yourself.'),
    logRetentionDays: z
      .number()
      .refine((days) => LOG_RETENTION_DAYS.includes(days), `one of ${LOG_RETENTION_DAYS.join(', ')}`)
      .default(30)
      .describe('Days CloudWatch keeps the functions’ logs.'),
  })
  .superRefine((config, ctx) => {
    const launchRegions = new Set([config.region, ...Object.keys(config.regions)]);
    const forwarded = new Set([config.region, ...config.forwarding.map((f) => f.region)]);
    config.pools.forEach((pool, i) => {
      if (pool.provider !== 'aws')
        ctx.addIssue({
          code: 'custom',
          path: ['pools', i, 'provider'],
          message: 'the stack manages AWS pools only',
        });
      else if (!launchRegions.has(pool.region))
        ctx.addIssue({
          code: 'custom',
          path: ['pools', i, 'region'],
          message: `${pool.region} is neither the stack's region ${config.region} nor in regions (add regions.${pool.region}.launchTemplateId)`,
        });
    });
    for (const region of Object.keys(config.regions)) {
      if (region === config.region)
        ctx.addIssue({
          code: 'custom',
          path: ['regions', region],
          message: "is the stack's region: use launchTemplateId and subnets",
        });
      else if (!forwarded.has(region))
        ctx.addIssue({
          code: 'custom',
          path: ['regions', region],
          message: `add { "region": "${region}" } to forwarding, or its spot notices never reach the bus`,
        });
    }
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

/** Keys that moved or that held a secret, with what to write instead (the nearest-key hint cannot guess these). */
const KEY_HINTS: Record<string, string> = {
  thresholds:
    'moved: optimize.maxActionsPerRun / optimize.horizonHours, forecast.horizonHours / historyDays, reclaim.policy.maxReleasesPerRun / maxPoolReleasePct, reclaim.thresholds (was thresholds.idle)',
  connectorsPollMinutes: 'moved: pollConnectors.everyMinutes',
  token: 'a secret goes by reference: store it in Secrets Manager and set tokenSecretName',
  webhookUrl: 'a secret goes by reference: store it in Secrets Manager and set webhookSecretName',
};

/** Validates a config strictly; a bad one names the field, a typo its nearest valid key. */
export function parseDeployConfig(input: unknown, what = 'deploy config'): DeployConfig {
  return parseStrict(zDeployConfig, input, what, KEY_HINTS);
}

export function readDeployConfigFile(path: string): DeployConfig {
  return parseDeployConfig(readConfigDocument(path), `deploy config ${path}`);
}

/** The JSON of a config file, as written; a syntax error names the file. */
export function readConfigDocument(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ValidationError(`deploy config ${path}`, (error as Error).message);
  }
}

/**
 * The document the table keeps: the config as written (it holds no secret, only secret names), with a
 * version that changes whenever it does, so that every function restarts on the new one.
 */
export interface ConfigDocument {
  version: string;
  json: string;
}

export function configDocument(input: unknown): ConfigDocument {
  const json = JSON.stringify(input);
  return { version: createHash('sha256').update(json).digest('hex').slice(0, 16), json };
}
