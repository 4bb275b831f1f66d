// One Lambda function per file of functions/: bundled locally by esbuild as minified ESM, with its own role and log group.
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE } from './metric-names.ts';

/** The checkout's root: the functions' entries, package-lock.json and node_modules are under it. */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Runtime the bundles target; esbuild's target follows it. */
export const FUNCTION_RUNTIME = lambda.Runtime.NODEJS_24_X;
export const ESBUILD_TARGET = 'node24';
/**
 * The runtime ships the AWS SDK v3; bundling it would only add cold-start weight. The GCP and Azure SDKs (tens of
 * MB, loaded only when such a connector is configured) stay out of the bundle too: a connectors function polling
 * GCP or Azure needs them from a Lambda layer; the connector says so on its first call when they are missing.
 */
export const EXTERNAL_MODULES = [
  '@aws-sdk/*',
  '@google-cloud/compute',
  '@azure/arm-compute',
  '@azure/identity',
];
export const MAIN_FIELDS = ['module', 'main'];

/**
 * Some dependencies are CommonJS and call require(); an ESM bundle has none, so the banner makes one.
 * The HiGHS loader finds its wasm next to the bundle by import.meta.url.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

/** Assets a bundle loads from disk, copied next to index.mjs after esbuild. */
export const WASM_ASSETS = { highs: 'node_modules/highs/build/highs.wasm' } as const;

export interface HandlerFunctionProps {
  /** The run's name: the function's service name and role description. */
  name: string;
  /** File name under functions/, without .ts, when it is not the name (import-bill for importBill). */
  entry?: string;
  description: string;
  timeout: Duration;
  memorySize: number;
  environment: Record<string, string>;
  logRetention: logs.RetentionDays;
  /** Wasm assets this handler's bundle loads (the planner's HiGHS). */
  wasm?: readonly (keyof typeof WASM_ASSETS)[];
  /** At most this many at once (1 for the runs that change capacity); none: the account's pool. */
  reservedConcurrency?: number;
}

/** Lambda refuses a function whose environment (keys and values) passes 4 KB. */
export const MAX_ENVIRONMENT_BYTES = 4096;

/** The bytes Lambda counts for an environment: every key and value. */
export function environmentBytes(environment: Readonly<Record<string, string>>): number {
  return Object.entries(environment).reduce(
    (sum, [k, v]) => sum + Buffer.byteLength(k) + Buffer.byteLength(v),
    0,
  );
}

export class HandlerFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: HandlerFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Its own role with no managed policy: logs only to its own group, everything else granted by the stack.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `gpu-optimizer ${props.name} function`,
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        // The group's ARN attribute ends in :*, which covers its streams.
        resources: [this.logGroup.logGroupArn],
      }),
    );
    const wasm = (props.wasm ?? []).map((asset) => WASM_ASSETS[asset]);
    const environment = {
      POWERTOOLS_SERVICE_NAME: `gpu-optimizer-${props.name}`,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      POWERTOOLS_LOG_LEVEL: 'INFO',
      ...props.environment,
    };
    // Tokens (the table's name) resolve at deploy; their placeholders are longer than the names they stand for.
    if (environmentBytes(environment) > MAX_ENVIRONMENT_BYTES)
      throw new Error(
        `the ${props.name} function's environment passes Lambda's 4 KB: settings belong in the stored config`,
      );
    this.function = new NodejsFunction(this, 'Function', {
      entry: `${PROJECT_ROOT}functions/${props.entry ?? props.name}.ts`,
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: `${PROJECT_ROOT}package-lock.json`,
      runtime: FUNCTION_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      description: props.description,
      timeout: props.timeout,
      memorySize: props.memorySize,
      role: this.role,
      logGroup: this.logGroup,
      environment,
      ...(props.reservedConcurrency !== undefined
        ? { reservedConcurrentExecutions: props.reservedConcurrency }
        : {}),
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        target: ESBUILD_TARGET,
        minify: true,
        sourceMap: false,
        mainFields: MAIN_FIELDS,
        banner: ESM_REQUIRE_BANNER,
        externalModules: EXTERNAL_MODULES,
        ...(wasm.length > 0
          ? {
              commandHooks: {
                beforeBundling: () => [],
                beforeInstall: () => [],
                afterBundling: (inputDir: string, outputDir: string) =>
                  wasm.map((path) => `cp "${inputDir}/${path}" "${outputDir}/"`),
              },
            }
          : {}),
      },
    });
  }
}

/** The config's retention in days as CDK's enum (whose values are the days); the config checked it is one. */
export function logRetention(days: number): logs.RetentionDays {
  return days as logs.RetentionDays;
}
