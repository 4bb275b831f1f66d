// The bill-import part of the stack: S3 Object Created events under the configured prefix → import-bill, which reads only there.
import { App, Aspects } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { addStacks } from '../../lib/infra/app.ts';
import { RUNS } from '../../lib/system/catalogue.ts';
import { parseDeployConfig, readDeployConfigFile, type DeployConfigInput } from '../../lib/infra/config.ts';

const EXAMPLE = readDeployConfigFile('config/example.json');
const BILLS = {
  bucket: 'cur-exports-111122223333',
  prefix: 'focus/gpu-focus/data/',
  format: 'focus',
} as const;

function synth(input: DeployConfigInput, nag = true) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stacks = addStacks(app, input);
  if (nag) Aspects.of(app).add(new AwsSolutionsChecks());
  app.synth();
  return { stack: stacks.central, template: Template.fromStack(stacks.central) };
}

interface Statement {
  Sid?: string;
  Action: string | string[];
  Resource: unknown;
}
const list = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

function statementsOf(template: Template, description: string): Statement[] {
  const [roleId] = Object.keys(
    template.findResources('AWS::IAM::Role', { Properties: { Description: description } }),
  );
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(roleId!))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

const withoutBills = (): DeployConfigInput => {
  const { bills: _bills, ...rest } = JSON.parse(JSON.stringify(EXAMPLE)) as DeployConfigInput;
  return rest;
};

let withBills: ReturnType<typeof synth>;
let without: ReturnType<typeof synth>;
beforeAll(() => {
  withBills = synth({ ...withoutBills(), bills: { ...BILLS, suffixes: ['.csv', '.csv.gz'] } });
  without = synth(withoutBills(), false);
}, 120_000);

describe('bill exports in the stack', () => {
  it('routes S3 Object Created events of export files under the prefix, on the default bus, to import-bill', () => {
    const rules = Object.values(withBills.template.findResources('AWS::Events::Rule')).filter((r) =>
      JSON.stringify(r.Properties.EventPattern.source).includes('aws.s3'),
    );
    expect(rules).toHaveLength(1);
    const rule = rules[0]!.Properties;
    expect(rule.EventBusName).toBe('default');
    expect(rule.EventPattern).toEqual({
      source: ['aws.s3'],
      'detail-type': ['Object Created'],
      detail: {
        bucket: { name: [BILLS.bucket] },
        object: {
          key: [{ wildcard: 'focus/gpu-focus/data/*.csv' }, { wildcard: 'focus/gpu-focus/data/*.csv.gz' }],
        },
      },
    });
    expect(JSON.stringify(rule.Targets)).toMatch(/ImportBillFunction/);
    expect(rule.Targets[0].RetryPolicy).toEqual({
      MaximumEventAgeInSeconds: 21_600,
      MaximumRetryAttempts: 2,
    });
    expect(rule.Targets[0].DeadLetterConfig).toBeDefined();
  });

  it('gives import-bill s3:GetObject on the bucket and prefix only, and its table actions and the bus', () => {
    const statements = statementsOf(withBills.template, 'gpu-optimizer importBill function');
    const s3 = statements.filter((s) => list(s.Action).some((a) => a.startsWith('s3:')));
    expect(s3).toEqual([
      expect.objectContaining({
        Sid: 'ReadBillExports',
        Action: 's3:GetObject',
        Resource: {
          'Fn::Join': [
            '',
            ['arn:', { Ref: 'AWS::Partition' }, ':s3:::cur-exports-111122223333/focus/gpu-focus/data/*'],
          ],
        },
      }),
    ]);
    const table = statements.find((s) => s.Sid === 'OwnTableActions')!;
    expect(list(table.Action).sort()).toEqual([
      'dynamodb:BatchWriteItem',
      'dynamodb:GetItem',
      'dynamodb:Query',
    ]);
    // No other function reads the bucket.
    const others = Object.values(withBills.template.findResources('AWS::IAM::Policy')).filter(
      (p) => JSON.stringify(p).includes('s3:') && !JSON.stringify(p).includes('ImportBill'),
    );
    expect(others).toEqual([]);
  });

  it('hands the function its bucket, prefix, threshold and format through the stored config, not its environment', () => {
    withBills.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          POWERTOOLS_SERVICE_NAME: 'gpu-optimizer-importBill',
          POWERTOOLS_METRICS_NAMESPACE: Match.anyValue(),
          POWERTOOLS_LOG_LEVEL: Match.anyValue(),
          TABLE_NAME: Match.anyValue(),
          EVENT_BUS_NAME: Match.anyValue(),
          CONFIG_VERSION: Match.stringLikeRegexp('^[0-9a-f]{16}$'),
        },
      },
      Timeout: 900,
    });
    const stored = JSON.stringify(withBills.template.findResources('Custom::AWS'));
    for (const value of [BILLS.bucket, BILLS.prefix, 'focus']) expect(stored).toContain(value);
    expect(RUNS.importBill.options(parseDeployConfig({ ...EXAMPLE, bills: BILLS }))).toEqual({
      bucket: BILLS.bucket,
      prefix: BILLS.prefix,
      thresholdPct: 5,
      format: 'focus',
    });
  });

  it('passes cdk-nag with the one suppression carrying its reason', () => {
    const findings = [
      ...Annotations.fromStack(withBills.stack).findError('*', Match.stringLikeRegexp('AwsSolutions-.*')),
      ...Annotations.fromStack(withBills.stack).findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*')),
    ].map((f) => `${f.id}: ${String(f.entry.data).slice(0, 160)}`);
    expect(findings).toEqual([]);
  });

  it('leaves a config without bills as it was: no function, rule or S3 access', () => {
    expect(JSON.stringify(without.template.toJSON())).not.toMatch(/ImportBill|aws\.s3|s3:GetObject/);
    const functions = Object.keys(without.template.findResources('AWS::Lambda::Function'));
    expect(functions).toHaveLength(
      Object.keys(withBills.template.findResources('AWS::Lambda::Function')).length - 1,
    );
  });

  it('refuses a prefix or suffix the rule would not match literally, naming the field', () => {
    expect(() =>
      parseDeployConfig({ ...withoutBills(), bills: { bucket: BILLS.bucket, prefix: 'a/*/b' } }),
    ).toThrow(/bills\.prefix/);
    expect(() => parseDeployConfig({ ...withoutBills(), bills: { bucket: 'Not_A_Bucket' } })).toThrow(
      /bills\.bucket/,
    );
    expect(() =>
      parseDeployConfig({ ...withoutBills(), bills: { bucket: BILLS.bucket, suffixes: ['*.csv'] } }),
    ).toThrow(/bills\.suffixes\[0\]/);
    expect(parseDeployConfig({ ...withoutBills(), bills: { bucket: BILLS.bucket } }).bills).toEqual({
      bucket: BILLS.bucket,
      prefix: '',
      suffixes: ['.csv', '.csv.gz'],
      varianceThresholdPct: 5,
    });
  });
});
