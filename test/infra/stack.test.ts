// The stack's template (bundling skipped): every resource, key properties, every IAM statement scoped, cdk-nag clean.
import { DEFAULT_BUS_NAME } from '../../lib/domain/bus.ts';
import { App, Aspects } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { EVENT_TYPES, SOURCES } from '../../lib/domain/events.ts';
import { EC2_DETAIL_TYPES } from '../../lib/ingest/ec2-events.ts';
import { FUNCTION_ACCESS, FUNCTION_NAMES, TABLE_ACTIONS } from '../../lib/infra/access.ts';
import { addStacks } from '../../lib/infra/app.ts';
import { parseDeployConfig, readConfigDocument } from '../../lib/infra/config.ts';
import { MANAGED_TAG_KEY, MARK_TAG_KEYS } from '../../lib/infra/ec2-policy.ts';
import {
  PARTITION_KEY,
  SORT_KEY,
  TIME_INDEX,
  TIME_INDEX_PARTITION_KEY,
  TIME_INDEX_SORT_KEY,
  TTL_ATTRIBUTE,
} from '../../lib/store/table.ts';

const EXAMPLE_INPUT = readConfigDocument('config/example.json') as Record<string, unknown>;
const EXAMPLE = parseDeployConfig(EXAMPLE_INPUT);

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}
const list = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

function synth(input: unknown) {
  // Skipping bundling keeps synth fast: the asset is a placeholder, every other property is real.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stacks = addStacks(app, input);
  Aspects.of(app).add(new AwsSolutionsChecks());
  app.synth();
  return { stacks, template: Template.fromStack(stacks.central) };
}

let template: Template;
let stacks: ReturnType<typeof addStacks>;
beforeAll(() => {
  ({ template, stacks } = synth(EXAMPLE_INPUT));
}, 120_000);

/** The policy statements of a function's role, by its construct id. */
function roleStatements(fn: string): Statement[] {
  const roles = template.findResources('AWS::IAM::Role', {
    Properties: { Description: `gpu-optimizer ${fn} function` },
  });
  const [roleId] = Object.keys(roles);
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(roleId!))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

describe('GpuOptimizerStack', () => {
  it('names its bus as the agent’s default names it, and outputs it with the agent role and profile', () => {
    const [bus] = Object.values(template.findResources('AWS::Events::EventBus'));
    expect(bus!.Properties.Name).toBe(DEFAULT_BUS_NAME);
    const outputs = Object.keys(template.findOutputs('*'));
    for (const name of ['EventBusName', 'AgentRoleArn', 'AgentInstanceProfile'])
      expect(outputs.some((o) => o.startsWith(name))).toBe(true);
  });

  it('declares the table the store uses: keys, index and TTL from lib/store/table.ts, on-demand, PITR, encrypted', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: PARTITION_KEY, KeyType: 'HASH' },
        { AttributeName: SORT_KEY, KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
      SSESpecification: { SSEEnabled: true },
      GlobalSecondaryIndexes: [
        {
          IndexName: TIME_INDEX,
          KeySchema: [
            { AttributeName: TIME_INDEX_PARTITION_KEY, KeyType: 'HASH' },
            { AttributeName: TIME_INDEX_SORT_KEY, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    });
  });

  it('has one function per run: nodejs24.x, arm64, ESM bundle, Powertools settings, its own log group', () => {
    const functions = Object.values(template.findResources('AWS::Lambda::Function')).filter(
      (f) => f.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME,
    );
    expect(functions).toHaveLength(FUNCTION_NAMES.length);
    template.resourceCountIs('AWS::Logs::LogGroup', FUNCTION_NAMES.length);
    for (const fn of functions) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        Environment: {
          Variables: {
            POWERTOOLS_METRICS_NAMESPACE: 'GpuOptimizer',
            POWERTOOLS_SERVICE_NAME: expect.stringMatching(/^gpu-optimizer-/),
          },
        },
        LoggingConfig: { LogGroup: expect.anything() },
      });
    }
    const names = functions.map((f) => f.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME).sort();
    expect(names).toEqual(FUNCTION_NAMES.map((n) => `gpu-optimizer-${n}`).sort());
  });

  it('routes agent and connector events, by the event registry, to the ingest queue; the queue has a DLQ with an alarm', () => {
    template.resourceCountIs('AWS::Events::EventBus', 1);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: Match.anyValue(),
      EventPattern: {
        source: [SOURCES.agent, SOURCES.connector],
        'detail-type': Object.entries(EVENT_TYPES)
          .filter(([, t]) => t.source !== SOURCES.decisions)
          .map(([d]) => d),
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^IngestQueue'), 'Arn'] } })],
    });
    // Ingest reads both: agents' samples, and connectors' snapshots (how each node is bought, its state).
    const toIngest = Object.values(template.findResources('AWS::Events::Rule'))
      .map((r) => r.Properties)
      .filter((p) => JSON.stringify(p.Targets).includes('IngestQueue'));
    expect(
      toIngest.filter(
        (p) =>
          p.EventPattern.source.includes(SOURCES.connector) &&
          p.EventPattern['detail-type'].includes('Capacity Snapshot'),
      ),
    ).toHaveLength(1);
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: { maxReceiveCount: 5, deadLetterTargetArn: Match.anyValue() },
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 360,
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 100,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [
        {
          Name: 'QueueName',
          Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^IngestDeadLetterQueue'), 'QueueName'] },
        },
      ],
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^AlarmTopic') }],
    });
    // Slack alerts left in the outbox for an hour page a person.
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'GpuOptimizer',
      MetricName: 'SlackOutboxDepth',
      Dimensions: [{ Name: 'service', Value: 'gpu-optimizer-notify' }],
      Period: 3600,
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^AlarmTopic') }],
    });
  });

  it('sends EC2 spot notices straight to the interruption function, state changes to the queue, on both buses', () => {
    const rules = Object.values(template.findResources('AWS::Events::Rule')).map((r) => r.Properties);
    const notices = rules.filter((r) =>
      JSON.stringify(r.EventPattern['detail-type']).includes(EC2_DETAIL_TYPES.spotInterruption),
    );
    expect(notices).toHaveLength(2);
    for (const rule of notices) {
      expect(rule.EventPattern['detail-type']).toEqual([
        EC2_DETAIL_TYPES.spotInterruption,
        EC2_DETAIL_TYPES.rebalance,
      ]);
      expect(JSON.stringify(rule.Targets)).toMatch(/InterruptionFunction/);
      expect(rule.Targets[0].RetryPolicy).toEqual({ MaximumEventAgeInSeconds: 120, MaximumRetryAttempts: 2 });
    }
    const stateRules = rules.filter((r) =>
      JSON.stringify(r.EventPattern).includes(EC2_DETAIL_TYPES.stateChange),
    );
    expect(stateRules).toHaveLength(2);
    expect(
      stateRules.filter((r) => r.EventBusName === undefined || r.EventBusName === 'default'),
    ).toHaveLength(1);
    const decisions = rules.find(
      (r) => JSON.stringify(r.EventPattern.source) === JSON.stringify([SOURCES.decisions]),
    );
    expect(decisions.EventPattern['detail-type']).toHaveLength(7);
    expect(JSON.stringify(decisions.Targets)).toMatch(/NotifyFunction/);
  });

  it('schedules every periodic run through EventBridge Scheduler, handing it the scheduled time', () => {
    const schedules = Object.values(template.findResources('AWS::Scheduler::Schedule')).map(
      (s) => s.Properties,
    );
    const byExpression = Object.fromEntries(
      schedules.map((s) => [
        JSON.stringify(s.Target.Arn).match(/([A-Z][a-z]+)Function/)![1],
        s.ScheduleExpression,
      ]),
    );
    expect(byExpression).toEqual({
      Forecast: 'rate(1 hour)',
      Optimize: 'rate(15 minutes)',
      Reclaim: 'rate(5 minutes)',
      Attribute: 'cron(5 * * * ? *)',
      Report: 'cron(0 8 ? * MON *)',
      Connectors: 'rate(5 minutes)',
      // RefreshPricesFunction: daily, and once at each deploy (see the AtDeploy custom resources).
      Prices: 'rate(24 hours)',
    });
    for (const s of schedules) {
      expect(JSON.parse(s.Target.Input).time).toBe('<aws.scheduler.scheduled-time>');
      expect(s.Target.DeadLetterConfig).toBeDefined();
    }
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpressionTimezone: 'Europe/Paris',
    });
  });

  it('alarms on errors and throttles of every function, to an encrypted SNS topic; has a dashboard and the SES identity', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
    for (const metric of ['Errors', 'Throttles'])
      expect(alarms.filter((a) => a.MetricName === metric && a.Namespace === 'AWS/Lambda')).toHaveLength(
        FUNCTION_NAMES.length,
      );
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: EXAMPLE.alarmEmail,
    });
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const body = JSON.stringify(template.findResources('AWS::CloudWatch::Dashboard'));
    for (const title of ['GPU utilization', 'Spend per hour', 'Savings per week', 'Forecast vs actual'])
      expect(body).toContain(title);
    template.hasResourceProperties('AWS::SES::EmailIdentity', { EmailIdentity: EXAMPLE.report.from });
  });
});

describe('least privilege', () => {
  it('gives each function only its own table actions, on the table (and its index for queries)', () => {
    for (const name of FUNCTION_NAMES) {
      const tableStatements = roleStatements(name).filter((s) => s.Sid === 'OwnTableActions');
      const expected = FUNCTION_ACCESS[name].table.map((a) => TABLE_ACTIONS[a]).sort();
      if (expected.length === 0) expect(tableStatements, name).toEqual([]);
      else {
        expect(tableStatements, name).toHaveLength(1);
        expect(list(tableStatements[0]!.Action).sort(), name).toEqual(expected);
        expect(JSON.stringify(tableStatements[0]!.Resource)).toMatch(/Table/);
      }
    }
  });

  it('never grants a mutating action on "*"; EC2 changes are conditioned on the managed tag or the launch template', () => {
    for (const name of FUNCTION_NAMES) {
      for (const s of roleStatements(name)) {
        const actions = list(s.Action);
        if (list(s.Resource).includes('*'))
          for (const a of actions)
            expect(a, `${name}: ${a} on *`).toMatch(/^(ec2:Describe|pricing:GetProducts$)/);
        const mutatingEc2 = actions.filter((a) =>
          /^ec2:(Stop|Terminate|CreateTags|DeleteTags|RunInstances|CreateFleet)/.test(a),
        );
        if (mutatingEc2.length > 0 && s.Sid !== 'LaunchFleet')
          expect(Object.keys(s.Condition ?? {}), `${name} ${s.Sid}`).not.toHaveLength(0);
      }
    }
    const release = roleStatements('reclaim').find((s) => s.Sid === 'ReleaseManagedInstances')!;
    expect(list(release.Action).sort()).toEqual(['ec2:StopInstances', 'ec2:TerminateInstances']);
    expect(release.Condition).toEqual({ StringEquals: { [`aws:ResourceTag/${MANAGED_TAG_KEY}`]: 'true' } });
    const mark = roleStatements('reclaim').find((s) => s.Sid === 'MarkManagedInstances')!;
    expect(mark.Condition!['ForAllValues:StringEquals']).toEqual({ 'aws:TagKeys': MARK_TAG_KEYS });
    // ForAllValues alone passes a DeleteTags that names no key (which strips every tag): the keys must be given.
    expect(mark.Condition!.Null).toEqual({ 'aws:TagKeys': 'false' });
    // reclaim releases and marks; it never launches
    expect(roleStatements('reclaim').flatMap((s) => list(s.Action))).not.toContain('ec2:CreateFleet');
    const launch = roleStatements('optimize').find((s) => s.Sid === 'LaunchManagedInstances')!;
    expect(launch.Condition!.StringEquals).toEqual({ [`aws:RequestTag/${MANAGED_TAG_KEY}`]: 'true' });
    for (const name of [
      'ingest',
      'forecast',
      'attribute',
      'connectors',
      'notify',
      'report',
      'syncConfig',
    ] as const)
      expect(
        roleStatements(name)
          .flatMap((s) => list(s.Action))
          .filter((a) => a.startsWith('ec2:')),
        name,
      ).toEqual([]);
  });

  it('lets only notify read the Slack secret, only report send e-mail, and logs go to each own group', () => {
    for (const name of FUNCTION_NAMES) {
      const actions = roleStatements(name).flatMap((s) => list(s.Action));
      expect(
        actions.some((a) => a.startsWith('secretsmanager:')),
        name,
      ).toBe(name === 'notify');
      expect(actions.includes('ses:SendEmail'), name).toBe(name === 'report');
      expect(actions.includes('events:PutEvents'), name).toBe(FUNCTION_ACCESS[name].putEvents);
      const logs = roleStatements(name).find((s) => list(s.Action).includes('logs:PutLogEvents'))!;
      expect(JSON.stringify(logs.Resource)).toMatch(
        new RegExp(`${name[0]!.toUpperCase()}${name.slice(1)}Logs`),
      );
    }
  });

  it('lets the agent role put agent events on the bus and nothing else', () => {
    const policies = Object.values(template.findResources('AWS::IAM::ManagedPolicy'));
    expect(policies).toHaveLength(1);
    const statements = policies[0]!.Properties.PolicyDocument.Statement as Statement[];
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatchObject({
      Effect: 'Allow',
      Action: 'events:PutEvents',
      Condition: { StringEquals: { 'events:source': [SOURCES.agent] } },
    });
    expect(JSON.stringify(policies[0]!.Properties.PolicyDocument.Statement[0].Resource)).toMatch(
      /"Bus[0-9A-F]+"/,
    );
    template.hasResourceProperties('AWS::IAM::InstanceProfile', {
      Roles: [{ Ref: Match.stringLikeRegexp('^AgentRole') }],
    });
  });

  it('passes cdk-nag AwsSolutions with no unsuppressed finding, in every stack', () => {
    for (const stack of [stacks.central, ...stacks.forwarding]) {
      const annotations = Annotations.fromStack(stack);
      const findings = [
        ...annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-.*')),
        ...annotations.findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*')),
      ].map((f) => `${f.id}: ${String(f.entry.data).slice(0, 120)}`);
      expect(findings, stack.stackName).toEqual([]);
    }
  });
});

describe('forwarding stack and config', () => {
  it('forwards spot notices and state changes of an extra region to the central bus', () => {
    const forward = Template.fromStack(stacks.forwarding[0]!);
    forward.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.ec2'],
        'detail-type': [
          EC2_DETAIL_TYPES.stateChange,
          EC2_DETAIL_TYPES.spotInterruption,
          EC2_DETAIL_TYPES.rebalance,
        ],
      },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(':event-bus/GpuOptimizer$')])] },
        }),
      ],
    });
    expect(stacks.forwarding[0]!.region).toBe('us-west-2');
  });

  it('rejects a bad config naming the field', () => {
    const input = JSON.parse(JSON.stringify(EXAMPLE)) as Record<string, unknown> & {
      report: { recipients: string[] };
    };
    input.report.recipients = ['not-an-address'];
    expect(() => parseDeployConfig(input)).toThrow(/report\.recipients\[0\]/);
    expect(() => parseDeployConfig({ ...EXAMPLE_INPUT, mode: 'yolo' })).toThrow(/mode/);
    expect(() =>
      parseDeployConfig({ ...EXAMPLE_INPUT, pools: [{ ...EXAMPLE.pools[0], region: 'eu-west-1' }] }),
    ).toThrow(/pools\[0\]\.region/);
    expect(() => parseDeployConfig({ ...EXAMPLE_INPUT, connectors: { slurm: { url: 'nope' } } })).toThrow(
      /connectors\.slurm/,
    );
  });
});
