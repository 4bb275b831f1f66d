// GpuOptimizerStack: the bus and its rules, the ingest queue, schedules, the table, one function per run, alarms, dashboard.
import { Aws, Duration, RemovalPolicy, Stack, TimeZone, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as snsSubscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { EVENT_TYPES, SOURCES } from '../domain/events.ts';
import { EC2_DETAIL_TYPES, EC2_SOURCE } from '../ingest/ec2-events.ts';
import {
  PARTITION_KEY,
  SORT_KEY,
  TIME_INDEX,
  TIME_INDEX_PARTITION_KEY,
  TIME_INDEX_SORT_KEY,
  TTL_ATTRIBUTE,
} from '../store/table.ts';
import { FUNCTION_ACCESS, TABLE_ACTIONS, type FunctionName } from './access.ts';
import type { DeployConfig } from './config.ts';
import { addDashboard } from './dashboard.ts';
import { ec2Statements } from './ec2-policy.ts';
import { HandlerFunction, logRetention } from './handler-function.ts';
import { suppressStackFindings } from './nag.ts';

export interface GpuOptimizerStackProps extends StackProps {
  config: DeployConfig;
}

/** How each run is triggered, sized and timed. */
const RUNS: Record<
  FunctionName,
  {
    description: string;
    timeout: Duration;
    memorySize: number;
    wasm?: readonly 'highs'[];
    /** File under functions/ when it is not the run's name. */
    entry?: string;
  }
> = {
  ingest: {
    description: 'Agent, connector and EC2 state events → rollups and fleet state',
    timeout: Duration.seconds(60),
    memorySize: 512,
  },
  forecast: {
    description: 'Hourly demand forecast per workload class',
    timeout: Duration.minutes(5),
    memorySize: 1024,
  },
  optimize: {
    description: 'Capacity plan (LP) and its actions, every 15 minutes',
    timeout: Duration.minutes(5),
    memorySize: 2048,
    wasm: ['highs'],
  },
  interruption: {
    description: 'Spot interruption and rebalance notices: replan the pool now',
    timeout: Duration.seconds(90),
    memorySize: 1024,
    wasm: ['highs'],
  },
  reclaim: {
    description: 'Idle GPU nodes: mark, grace, release, every 5 minutes',
    timeout: Duration.minutes(2),
    memorySize: 1024,
    wasm: ['highs'],
  },
  attribute: {
    description: 'Hourly cost attribution (FOCUS rows)',
    timeout: Duration.minutes(5),
    memorySize: 1024,
  },
  connectors: {
    description: 'Polls Slurm, Kubernetes and Prometheus onto the bus',
    timeout: Duration.minutes(2),
    memorySize: 512,
  },
  notify: { description: 'Decision events → Slack', timeout: Duration.seconds(30), memorySize: 256 },
  report: { description: 'Weekly savings report e-mail', timeout: Duration.minutes(2), memorySize: 1024 },
  // A month's export is read whole before it is stored: time and memory for a large account's file.
  importBill: {
    description: 'A new bill export in S3: import, reconcile with attribution, alert on variance',
    timeout: Duration.minutes(15),
    memorySize: 2048,
    entry: 'import-bill',
  },
};

/** S3's own EventBridge events of a new object (the bucket must have EventBridge delivery on). */
const S3_SOURCE = 'aws.s3';
const S3_OBJECT_CREATED = 'Object Created';
/** An export is imported within this long of landing, or its event goes to the delivery DLQ. */
const BILL_EVENT_MAX_AGE = Duration.hours(6);

/** SQS redrives a message this many times before the DLQ takes it. */
const INGEST_MAX_RECEIVES = 5;
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
    const ingestQueue = new sqs.Queue(this, 'IngestQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(RUNS.ingest.timeout.toSeconds() * VISIBILITY_TIMEOUT_FACTOR),
      deadLetterQueue: { queue: ingestDlq, maxReceiveCount: INGEST_MAX_RECEIVES },
    });

    const common = { TABLE_NAME: this.table.tableName, EVENT_BUS_NAME: this.bus.eventBusName };
    const capacity = {
      ...common,
      POOLS_JSON: JSON.stringify(config.pools),
      LAUNCH_TEMPLATE_ID: config.launchTemplateId,
      MODE: config.mode,
      KILL_SWITCH: config.killSwitch ? 'on' : 'off',
      MAX_ACTIONS_PER_RUN: String(config.thresholds.maxActionsPerRun),
      HORIZON_HOURS: String(config.thresholds.planHorizonHours),
    };
    const attribution: Record<string, string> = config.attribution
      ? { ATTRIBUTION_OPTIONS_JSON: JSON.stringify(config.attribution) }
      : {};
    const environments: Partial<Record<FunctionName, Record<string, string>>> = {
      ingest: { TABLE_NAME: this.table.tableName },
      forecast: {
        ...common,
        FORECAST_HORIZON_HOURS: String(config.thresholds.forecastHorizonHours),
        FORECAST_HISTORY_DAYS: String(config.thresholds.forecastHistoryDays),
      },
      optimize: capacity,
      interruption: capacity,
      reclaim: {
        ...capacity,
        RECLAIM_MAX_RELEASES_PER_RUN: String(config.thresholds.maxReleasesPerRun),
        RECLAIM_MAX_POOL_RELEASE_PCT: String(config.thresholds.maxPoolReleasePct),
        ...(config.thresholds.idle
          ? { RECLAIM_THRESHOLDS_JSON: JSON.stringify(config.thresholds.idle) }
          : {}),
        ...attribution,
      },
      attribute: { TABLE_NAME: this.table.tableName, ...attribution },
      report: {
        TABLE_NAME: this.table.tableName,
        REPORT_FROM: config.report.from,
        REPORT_RECIPIENTS: config.report.recipients.join(','),
        REPORT_TIME_ZONE: config.report.timeZone,
      },
    };
    if (config.connectors)
      environments.connectors = {
        EVENT_BUS_NAME: this.bus.eventBusName,
        CONNECTORS_CONFIG: JSON.stringify(config.connectors),
      };
    const slackSecret = config.slack
      ? secretsmanager.Secret.fromSecretNameV2(this, 'SlackWebhookSecret', config.slack.webhookSecretName)
      : undefined;
    if (config.slack) environments.notify = { SLACK_WEBHOOK_SECRET_ID: config.slack.webhookSecretName };
    const bills = config.bills;
    if (bills)
      environments.importBill = {
        ...common,
        BILL_BUCKET: bills.bucket,
        BILL_PREFIX: bills.prefix,
        BILL_VARIANCE_THRESHOLD_PCT: String(bills.varianceThresholdPct),
        ...(bills.format ? { BILL_FORMAT: bills.format } : {}),
      };
    // The exports under the prefix, and nothing else of the bucket.
    const billExportsArn = bills ? `arn:${Aws.PARTITION}:s3:::${bills.bucket}/${bills.prefix}*` : undefined;

    const identity = new ses.EmailIdentity(this, 'ReportIdentity', {
      identity: config.report.domain
        ? ses.Identity.domain(config.report.domain)
        : ses.Identity.email(config.report.from),
    });

    const tableArns = [this.table.tableArn, `${this.table.tableArn}/index/${TIME_INDEX}`];
    for (const [name, environment] of Object.entries(environments) as [
      FunctionName,
      Record<string, string>,
    ][]) {
      const run = RUNS[name];
      const handler = new HandlerFunction(this, `${name[0]!.toUpperCase()}${name.slice(1)}`, {
        name,
        description: run.description,
        timeout: run.timeout,
        memorySize: run.memorySize,
        environment,
        logRetention: logRetention(config.logRetentionDays),
        ...(run.wasm ? { wasm: run.wasm } : {}),
        ...(run.entry ? { entry: run.entry } : {}),
      });
      const access = FUNCTION_ACCESS[name];
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
        launchTemplateId: config.launchTemplateId,
        ...(config.instanceRoleArn ? { instanceRoleArn: config.instanceRoleArn } : {}),
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
      if (access.readSlackSecret && slackSecret) slackSecret.grantRead(role);
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
    const fn = (name: FunctionName) => this.functions.get(name)!.function;

    fn('ingest').addEventSource(
      new SqsEventSource(ingestQueue, {
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(5),
        reportBatchItemFailures: true,
      }),
    );

    // Agent and connector events: their detail-types, from the one registry of events.
    const ingestedTypes = Object.entries(EVENT_TYPES)
      .filter(([, t]) => t.source === SOURCES.agent || t.source === SOURCES.connector)
      .map(([detailType]) => detailType);
    const toIngestQueue = new targets.SqsQueue(ingestQueue, { deadLetterQueue: deliveryDlq });
    new events.Rule(this, 'AgentAndConnectorEventsRule', {
      eventBus: this.bus,
      description: 'Agent GPU samples and connector snapshots → ingest queue',
      eventPattern: { source: [SOURCES.agent, SOURCES.connector], detailType: ingestedTypes },
      targets: [toIngestQueue],
    });
    // The 2-minute notice must not wait in a batching window: its own rule, straight to the function.
    const toInterruption = new targets.LambdaFunction(fn('interruption'), {
      deadLetterQueue: deliveryDlq,
      maxEventAge: Duration.minutes(2),
      retryAttempts: 2,
    });
    const stateChanges = { source: [EC2_SOURCE], detailType: [EC2_DETAIL_TYPES.stateChange] };
    const notices = {
      source: [EC2_SOURCE],
      detailType: [EC2_DETAIL_TYPES.spotInterruption, EC2_DETAIL_TYPES.rebalance],
    };
    const defaultBus = events.EventBus.fromEventBusName(this, 'DefaultBus', 'default');
    for (const [bus, origin] of [
      [defaultBus, 'this region'],
      [this.bus, 'forwarded from other regions and accounts'],
    ] as const) {
      const prefix = bus === defaultBus ? 'Ec2' : 'ForwardedEc2';
      new events.Rule(this, `${prefix}StateChangeRule`, {
        eventBus: bus,
        description: `EC2 instance state changes (${origin}) → ingest queue`,
        eventPattern: stateChanges,
        targets: [toIngestQueue],
      });
      new events.Rule(this, `${prefix}SpotNoticeRule`, {
        eventBus: bus,
        description: `EC2 spot interruption and rebalance notices (${origin}) → interruption function`,
        eventPattern: notices,
        targets: [toInterruption],
      });
    }
    if (this.functions.has('notify')) {
      const decisionTypes = Object.entries(EVENT_TYPES)
        .filter(([, t]) => t.source === SOURCES.decisions)
        .map(([detailType]) => detailType);
      new events.Rule(this, 'DecisionsToSlackRule', {
        eventBus: this.bus,
        description: 'Decision events → Slack',
        eventPattern: { source: [SOURCES.decisions], detailType: decisionTypes },
        targets: [
          new targets.LambdaFunction(fn('notify'), { deadLetterQueue: deliveryDlq, retryAttempts: 2 }),
        ],
      });
    }

    if (bills && this.functions.has('importBill'))
      new events.Rule(this, 'BillExportCreatedRule', {
        eventBus: defaultBus,
        description: `New bill exports under s3://${bills.bucket}/${bills.prefix} → import-bill function`,
        eventPattern: {
          source: [S3_SOURCE],
          detailType: [S3_OBJECT_CREATED],
          detail: {
            bucket: { name: [bills.bucket] },
            // prefix and suffix at once: one wildcard per suffix (the config refuses * and \ in both).
            object: { key: bills.suffixes.map((suffix) => ({ wildcard: `${bills.prefix}*${suffix}` })) },
          },
        },
        targets: [
          new targets.LambdaFunction(fn('importBill'), {
            deadLetterQueue: deliveryDlq,
            maxEventAge: BILL_EVENT_MAX_AGE,
            retryAttempts: 2,
          }),
        ],
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
    const schedules: [FunctionName, scheduler.ScheduleExpression, string][] = [
      ['forecast', scheduler.ScheduleExpression.rate(Duration.hours(1)), 'hourly demand forecast'],
      ['optimize', scheduler.ScheduleExpression.rate(Duration.minutes(15)), 'capacity plan every 15 minutes'],
      ['reclaim', scheduler.ScheduleExpression.rate(Duration.minutes(5)), 'idle reclaim every 5 minutes'],
      [
        'attribute',
        scheduler.ScheduleExpression.expression('cron(5 * * * ? *)'),
        'hourly attribution, 5 minutes past',
      ],
      [
        'report',
        scheduler.ScheduleExpression.expression(config.report.schedule, TimeZone.of(config.report.timeZone)),
        'weekly savings report',
      ],
    ];
    if (this.functions.has('connectors'))
      schedules.push([
        'connectors',
        scheduler.ScheduleExpression.rate(Duration.minutes(config.connectorsPollMinutes)),
        'connectors poll',
      ]);
    for (const [name, schedule, description] of schedules)
      new scheduler.Schedule(this, `${name[0]!.toUpperCase()}${name.slice(1)}Schedule`, {
        schedule,
        scheduleGroup: group,
        description: `gpu-optimizer ${description}`,
        target: new schedulerTargets.LambdaInvoke(fn(name), {
          input: scheduledInput,
          retryAttempts: 2,
          deadLetterQueue: deliveryDlq,
        }),
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
      description: 'gpu-optimizer agent on GPU nodes (EC2 instance profile)',
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      managedPolicies: [agentPolicy],
    });
    new iam.InstanceProfile(this, 'AgentInstanceProfile', { role: agentRole });

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
}
