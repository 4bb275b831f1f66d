// GpuOptimizerStack: the bus and its rules, the ingest queue, schedules, the table, one function per run, alarms, dashboard.
import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, TimeZone, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as snsSubscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as cr from 'aws-cdk-lib/custom-resources';
import type { Construct } from 'constructs';
import { SOURCES } from '../domain/events.ts';
import { EC2_SOURCE } from '../ingest/ec2-events.ts';
import {
  environmentKeys,
  IDEMPOTENCY_ACTIONS,
  idempotencyPartition,
  RUNS,
  type EnvironmentKey,
  type RuleSpec,
  type RunEntry,
} from '../system/catalogue.ts';
import { CONFIG_PARTITION, configItem } from '../system/config-store.ts';
import { METRIC_NAMES, METRICS_NAMESPACE } from './metric-names.ts';
import { connectorSecretNames } from '../system/secrets.ts';
import { slackSecretNames } from '../system/sections.ts';
import {
  PARTITION_KEY,
  SORT_KEY,
  TIME_INDEX,
  TIME_INDEX_PARTITION_KEY,
  TIME_INDEX_SORT_KEY,
  TTL_ATTRIBUTE,
} from '../store/table.ts';
import { TABLE_ACTIONS, type FunctionName } from './access.ts';
import type { ConfigDocument, DeployConfig } from './config.ts';
import { addDashboard } from './dashboard.ts';
import { ec2Statements } from './ec2-policy.ts';
import { HandlerFunction, logRetention } from './handler-function.ts';
import { suppressStackFindings } from './nag.ts';

export interface GpuOptimizerStackProps extends StackProps {
  config: DeployConfig;
  /** The config as written and its version: stored in the table, read by every run. */
  document: ConfigDocument;
}

/** The stack's outputs the install docs name (the agent's role and profile, the bus). */
export const STACK_OUTPUTS = {
  agentRoleArn: 'AgentRoleArn',
  agentInstanceProfile: 'AgentInstanceProfile',
  eventBusName: 'EventBusName',
} as const;

/** EKS Pod Identity's service principal: an association names the cluster, namespace and service account. */
const EKS_POD_IDENTITY_PRINCIPAL = 'pods.eks.amazonaws.com';

/** SQS advises a visibility timeout of six times the consumer's timeout. */
const VISIBILITY_TIMEOUT_FACTOR = 6;
/** An ingest message older than this means the consumer is stuck or far behind. */
const INGEST_MAX_AGE_SECONDS = 15 * 60;

export class GpuOptimizerStack extends Stack {
  readonly bus: events.EventBus;
  readonly table: dynamodb.Table;
  readonly functions = new Map<FunctionName, HandlerFunction>();
  readonly alarmTopic: sns.Topic;

  constructor(scope: Construct, id: string, props: GpuOptimizerStackProps) {
    super(scope, id, props);
    const { config } = props;

    const alarmKey = new kms.Key(this, 'AlarmTopicKey', {
      description: 'gpu-optimizer alarm topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // CloudWatch publishes alarm notifications to the encrypted topic, so it must use the key.
    alarmKey.grant(
      new iam.ServicePrincipal('cloudwatch.amazonaws.com'),
      'kms:Decrypt',
      'kms:GenerateDataKey*',
    );
    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
      displayName: 'gpu-optimizer alarms',
      masterKey: alarmKey,
      enforceSSL: true,
    });
    if (config.alarmEmail)
      this.alarmTopic.addSubscription(new snsSubscriptions.EmailSubscription(config.alarmEmail));
    const alarmAction = new cwActions.SnsAction(this.alarmTopic);

    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: PARTITION_KEY, type: dynamodb.AttributeType.STRING },
      sortKey: { name: SORT_KEY, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: TTL_ATTRIBUTE,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: TIME_INDEX,
      partitionKey: { name: TIME_INDEX_PARTITION_KEY, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TIME_INDEX_SORT_KEY, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });

    this.bus = new events.EventBus(this, 'Bus', { eventBusName: config.stackName });
    const forwardingAccounts = [...new Set(config.forwarding.flatMap((f) => (f.account ? [f.account] : [])))];
    if (forwardingAccounts.length > 0)
      this.bus.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'ForwardedEc2Events',
          principals: forwardingAccounts.map((account) => new iam.AccountPrincipal(account)),
          actions: ['events:PutEvents'],
          resources: [this.bus.eventBusArn],
          conditions: { StringEquals: { 'events:source': [EC2_SOURCE] } },
        }),
      );

    // Rule and schedule deliveries that fail after retries land here instead of vanishing.
    const deliveryDlq = new sqs.Queue(this, 'DeliveryDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const ingestDlq = new sqs.Queue(this, 'IngestDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const ingestTrigger = RUNS.ingest.trigger();
    const ingestQueue = new sqs.Queue(this, 'IngestQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(RUNS.ingest.timeoutSeconds * VISIBILITY_TIMEOUT_FACTOR),
      deadLetterQueue: { queue: ingestDlq, maxReceiveCount: ingestTrigger.maxReceives },
    });

    // The config lives in the table, where its size is no issue; the functions get only its version.
    const { document } = props;
    const storeConfig = new cr.AwsCustomResource(this, 'StoredConfig', {
      onUpdate: {
        service: 'DynamoDB',
        action: 'putItem',
        parameters: {
          TableName: this.table.tableName,
          Item: Object.fromEntries(Object.entries(configItem(document)).map(([k, v]) => [k, { S: v }])),
        },
        physicalResourceId: cr.PhysicalResourceId.of(`config-${document.version}`),
        // The document holds no secret, but it is the user's: kept out of the provider's logs all the same.
        logging: cr.Logging.withDataHidden(),
      },
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({
          actions: ['dynamodb:PutItem'],
          resources: [this.table.tableArn],
          conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [CONFIG_PARTITION] } },
        }),
      ]),
      installLatestAwsSdk: false,
    });
    const environmentValues: Record<EnvironmentKey, string> = {
      TABLE_NAME: this.table.tableName,
      EVENT_BUS_NAME: this.bus.eventBusName,
      CONFIG_VERSION: document.version,
    };

    const slackSecrets = slackSecretNames(config.slack).map((name, i) =>
      secretsmanager.Secret.fromSecretNameV2(this, i === 0 ? 'SlackWebhookSecret' : `SlackSecret${i}`, name),
    );
    const connectorSecrets = connectorSecretNames(config.connectors).map((name, i) =>
      secretsmanager.Secret.fromSecretNameV2(this, `ConnectorSecret${i}`, name),
    );
    const bills = config.bills;
    // The exports under the prefix, and nothing else of the bucket.
    const billExportsArn = bills ? `arn:${Aws.PARTITION}:s3:::${bills.bucket}/${bills.prefix}*` : undefined;

    const identity = new ses.EmailIdentity(this, 'ReportIdentity', {
      identity: config.report.domain
        ? ses.Identity.domain(config.report.domain)
        : ses.Identity.email(config.report.from),
    });

    // The agent may put its own events on the bus and nothing else.
    const agentPolicy = new iam.ManagedPolicy(this, 'AgentPutEventsPolicy', {
      description: 'gpu-optimizer agent: PutEvents of agent events onto the bus, nothing else',
      statements: [
        new iam.PolicyStatement({
          actions: ['events:PutEvents'],
          resources: [this.bus.eventBusArn],
          conditions: { StringEquals: { 'events:source': [SOURCES.agent] } },
        }),
      ],
    });
    const agentRole = new iam.Role(this, 'AgentRole', {
      description: 'gpu-optimizer agent on GPU nodes (EC2, EKS Pod Identity, IRSA, IAM Roles Anywhere)',
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      managedPolicies: [agentPolicy],
    });
    this.addAgentTrust(agentRole, config);
    const agentProfile = new iam.InstanceProfile(this, 'AgentInstanceProfile', { role: agentRole });
    // Outputs keep the names the install docs use (their construct ids would clash with the resources').
    const output = (name: string, props: { value: string; description: string }) =>
      new CfnOutput(this, `${name}Output`, props).overrideLogicalId(name);
    output(STACK_OUTPUTS.agentRoleArn, {
      value: agentRole.roleArn,
      description:
        'The role the agent runs as (IRSA annotation, Pod Identity association, Roles Anywhere profile)',
    });
    output(STACK_OUTPUTS.agentInstanceProfile, {
      value: agentProfile.instanceProfileName,
      description:
        'The instance profile of GPU instances: put it in the launch template (the optimizer passes its role)',
    });
    output(STACK_OUTPUTS.eventBusName, {
      value: this.bus.eventBusName,
      description: 'The bus the agent puts to (agent --bus)',
    });

    const launchRegions = [
      {
        region: config.region,
        launchTemplateId: config.launchTemplateId,
        subnetIds: Object.values(config.subnets),
        securityGroupIds: config.securityGroupIds,
      },
      ...Object.entries(config.regions).map(([region, r]) => ({
        region,
        launchTemplateId: r.launchTemplateId,
        subnetIds: Object.values(r.subnets),
        securityGroupIds: r.securityGroupIds,
      })),
    ];

    const tableArns = [this.table.tableArn, `${this.table.tableArn}/index/${TIME_INDEX}`];
    for (const [name, entry] of Object.entries(RUNS) as [FunctionName, RunEntry][]) {
      if (!entry.enabled(config)) continue;
      const environment = Object.fromEntries(
        environmentKeys(entry).map((key) => [key, environmentValues[key]]),
      );
      const handler = new HandlerFunction(this, `${name[0]!.toUpperCase()}${name.slice(1)}`, {
        name,
        description: entry.description,
        timeout: Duration.seconds(entry.timeoutSeconds),
        memorySize: entry.memoryMb,
        environment,
        logRetention: logRetention(config.logRetentionDays),
        entry: entry.functionFile,
        ...(entry.wasm ? { wasm: entry.wasm } : {}),
        ...(entry.reservedConcurrency !== undefined
          ? { reservedConcurrency: entry.reservedConcurrency }
          : {}),
      });
      // A function starts on a config version only once the table holds it.
      handler.function.node.addDependency(storeConfig);
      const access = entry.access;
      const role = handler.role;
      if (access.table.length > 0)
        role.addToPolicy(
          new iam.PolicyStatement({
            sid: 'OwnTableActions',
            actions: access.table.map((a) => TABLE_ACTIONS[a]),
            // Queries go to the time index as well; every other action names the base table only.
            resources: (access.table as readonly string[]).includes('query')
              ? tableArns
              : [this.table.tableArn],
          }),
        );
      if (entry.idempotency)
        role.addToPolicy(
          new iam.PolicyStatement({
            sid: 'IdempotencyRecords',
            actions: [...IDEMPOTENCY_ACTIONS],
            resources: [this.table.tableArn],
            conditions: {
              'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [idempotencyPartition(name)] },
            },
          }),
        );
      if (access.readConfig)
        role.addToPolicy(
          new iam.PolicyStatement({
            sid: 'ReadConfig',
            actions: ['dynamodb:GetItem'],
            resources: [this.table.tableArn],
            conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [CONFIG_PARTITION] } },
          }),
        );
      if (access.putEvents)
        role.addToPolicy(
          new iam.PolicyStatement({
            sid: 'PutOnBus',
            actions: ['events:PutEvents'],
            resources: [this.bus.eventBusArn],
          }),
        );
      for (const statement of ec2Statements(this, {
        access: access.ec2,
        regions: launchRegions,
        instanceRoleArn: config.instanceRoleArn ?? agentRole.roleArn,
      }))
        role.addToPolicy(statement);
      if (access.sendEmail)
        role.addToPolicy(
          new iam.PolicyStatement({
            sid: 'SendReport',
            actions: ['ses:SendEmail'],
            resources: [identity.emailIdentityArn],
          }),
        );
      if (access.readSlackSecret) for (const secret of slackSecrets) secret.grantRead(role);
      if (access.readConnectorSecrets) for (const secret of connectorSecrets) secret.grantRead(role);
      if (access.readPrices)
        role.addToPolicy(
          new iam.PolicyStatement({
            sid: 'ReadPrices',
            // Price lists and spot history have no resource-level permission: read-only, "*".
            actions: ['pricing:GetProducts', 'ec2:DescribeSpotPriceHistory', 'ec2:DescribeInstanceTypes'],
            resources: ['*'],
          }),
        );
      if (access.readBillExports && billExportsArn)
        role.addToPolicy(
          new iam.PolicyStatement({
            sid: 'ReadBillExports',
            actions: ['s3:GetObject'],
            resources: [billExportsArn],
          }),
        );
      this.functions.set(name, handler);

      for (const [metric, label] of [
        [handler.function.metricErrors({ period: Duration.minutes(5) }), 'errors'],
        [handler.function.metricThrottles({ period: Duration.minutes(5) }), 'throttles'],
      ] as const)
        new cloudwatch.Alarm(handler, `${label[0]!.toUpperCase()}${label.slice(1)}Alarm`, {
          alarmDescription: `gpu-optimizer ${name}: ${label}`,
          metric,
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }).addAlarmAction(alarmAction);
    }

    // Slack alerts the notify run could not deliver wait in the table's outbox: a person should hear when they pile up.
    const notifyFunction = this.functions.get('notify');
    if (notifyFunction)
      new cloudwatch.Alarm(notifyFunction, 'SlackOutboxAlarm', {
        alarmDescription: 'gpu-optimizer notify: Slack alerts undelivered for an hour (outbox not empty)',
        metric: new cloudwatch.Metric({
          namespace: METRICS_NAMESPACE,
          metricName: METRIC_NAMES.slackOutboxDepth,
          dimensionsMap: { service: 'gpu-optimizer-notify' },
          statistic: 'Minimum',
          period: Duration.hours(1),
        }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }).addAlarmAction(alarmAction);

    // Each run's trigger, as its catalogue entry declares it.
    const defaultBus = events.EventBus.fromEventBusName(this, 'DefaultBus', 'default');
    const rule = (spec: RuleSpec, target: events.IRuleTarget) =>
      new events.Rule(this, spec.id, {
        eventBus: spec.bus === 'default' ? defaultBus : this.bus,
        description: spec.description,
        eventPattern: {
          source: spec.pattern.source,
          detailType: spec.pattern.detailType,
          ...(spec.pattern.detail ? { detail: spec.pattern.detail } : {}),
        },
        targets: [target],
      });
    // Scheduler sends what it is given, not a ScheduledEvent: the runs read the scheduled time as `time`.
    const scheduledInput = scheduler.ScheduleTargetInput.fromObject({
      source: 'aws.scheduler',
      'detail-type': 'Scheduled Event',
      id: scheduler.ContextAttribute.executionId,
      time: scheduler.ContextAttribute.scheduledTime,
      resources: [scheduler.ContextAttribute.scheduleArn],
      detail: {},
    });
    const group = new scheduler.ScheduleGroup(this, 'Schedules', {});
    // Once per stored config version, after the table holds it; asynchronous, so a slow API never holds a deploy.
    const runAtDeploy = (name: string, fn: lambda.IFunction) =>
      new cr.AwsCustomResource(this, `${name[0]!.toUpperCase()}${name.slice(1)}AtDeploy`, {
        onUpdate: {
          service: 'Lambda',
          action: 'invoke',
          parameters: { FunctionName: fn.functionName, InvocationType: 'Event', Payload: '{}' },
          physicalResourceId: cr.PhysicalResourceId.of(`${name}-${document.version}`),
        },
        policy: cr.AwsCustomResourcePolicy.fromStatements([
          new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [fn.functionArn] }),
        ]),
        installLatestAwsSdk: false,
      }).node.addDependency(storeConfig);
    for (const [name, handler] of this.functions) {
      const trigger = (RUNS[name] as RunEntry).trigger(config);
      const fn = handler.function;
      switch (trigger.kind) {
        case 'queue': {
          fn.addEventSource(
            new SqsEventSource(ingestQueue, {
              batchSize: trigger.batchSize,
              maxBatchingWindow: Duration.seconds(trigger.maxBatchingWindowSeconds),
              reportBatchItemFailures: true,
            }),
          );
          const toQueue = new targets.SqsQueue(ingestQueue, { deadLetterQueue: deliveryDlq });
          for (const spec of trigger.rules) rule(spec, toQueue);
          break;
        }
        case 'event': {
          const toFunction = new targets.LambdaFunction(fn, {
            deadLetterQueue: deliveryDlq,
            retryAttempts: trigger.retryAttempts,
            ...(trigger.maxEventAgeSeconds
              ? { maxEventAge: Duration.seconds(trigger.maxEventAgeSeconds) }
              : {}),
          });
          for (const spec of trigger.rules) rule(spec, toFunction);
          break;
        }
        case 's3-object':
          rule(
            trigger.rule,
            new targets.LambdaFunction(fn, {
              deadLetterQueue: deliveryDlq,
              maxEventAge: Duration.seconds(trigger.maxEventAgeSeconds),
              retryAttempts: trigger.retryAttempts,
            }),
          );
          break;
        case 'schedule':
          new scheduler.Schedule(this, `${name[0]!.toUpperCase()}${name.slice(1)}Schedule`, {
            schedule: scheduler.ScheduleExpression.expression(
              trigger.expression,
              trigger.timeZone ? TimeZone.of(trigger.timeZone) : undefined,
            ),
            scheduleGroup: group,
            description: `gpu-optimizer ${trigger.description}`,
            target: new schedulerTargets.LambdaInvoke(fn, {
              input: scheduledInput,
              retryAttempts: 2,
              deadLetterQueue: deliveryDlq,
            }),
          });
          break;
        case 'deploy':
          break;
      }
      if (trigger.kind === 'deploy' || (trigger.kind === 'schedule' && trigger.alsoAtDeploy))
        runAtDeploy(name, fn);
    }

    for (const [queue, what] of [
      [ingestDlq, 'ingest messages that failed 5 times'],
      [deliveryDlq, 'rule and schedule deliveries that failed'],
    ] as const)
      new cloudwatch.Alarm(queue, 'DepthAlarm', {
        alarmDescription: `gpu-optimizer: ${what}`,
        metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }).addAlarmAction(alarmAction);
    new cloudwatch.Alarm(ingestQueue, 'AgeAlarm', {
      alarmDescription: 'gpu-optimizer: ingest is behind',
      metric: ingestQueue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5) }),
      threshold: INGEST_MAX_AGE_SECONDS,
      evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(alarmAction);

    addDashboard(this, { functions: this.functions, ingestQueue, ingestDlq, stackName: config.stackName });
    suppressStackFindings(this, {
      functions: this.functions,
      deliveryDlq,
      ...(bills ? { billExports: { bucket: bills.bucket, prefix: bills.prefix } } : {}),
    });
  }

  /** Besides EC2: EKS Pod Identity always, IRSA and IAM Roles Anywhere when the config names their provider. */
  private addAgentTrust(role: iam.Role, config: DeployConfig): void {
    const trust = role.assumeRolePolicy!;
    trust.addStatements(
      new iam.PolicyStatement({
        sid: 'EksPodIdentity',
        principals: [new iam.ServicePrincipal(EKS_POD_IDENTITY_PRINCIPAL)],
        actions: ['sts:AssumeRole', 'sts:TagSession'],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );
    const { oidcProviderArn, serviceAccount, rolesAnywhereTrustAnchorArn } = config.agent;
    if (oidcProviderArn) {
      // The condition keys are the issuer: the provider ARN after "oidc-provider/".
      const issuer = oidcProviderArn.slice(
        oidcProviderArn.indexOf('oidc-provider/') + 'oidc-provider/'.length,
      );
      trust.addStatements(
        new iam.PolicyStatement({
          sid: 'Irsa',
          principals: [new iam.FederatedPrincipal(oidcProviderArn)],
          actions: ['sts:AssumeRoleWithWebIdentity'],
          conditions: {
            StringEquals: {
              [`${issuer}:sub`]: `system:serviceaccount:${serviceAccount}`,
              [`${issuer}:aud`]: 'sts.amazonaws.com',
            },
          },
        }),
      );
    }
    if (rolesAnywhereTrustAnchorArn)
      trust.addStatements(
        new iam.PolicyStatement({
          sid: 'RolesAnywhere',
          principals: [new iam.ServicePrincipal('rolesanywhere.amazonaws.com')],
          actions: ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'],
          conditions: { ArnEquals: { 'aws:SourceArn': rolesAnywhereTrustAnchorArn } },
        }),
      );
  }
}
