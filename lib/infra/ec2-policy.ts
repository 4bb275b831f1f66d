// EC2 permissions of the capacity runs: releases and marks only on instances tagged managed, launches only from the template.
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { DEFAULT_EC2_TAG_KEYS } from '../connectors/aws-ec2/map.ts';
import type { Ec2Access } from './access.ts';

export const MANAGED_TAG_KEY = DEFAULT_EC2_TAG_KEYS.managed;
export const MANAGED_TAG_VALUE = 'true';
/** The only tags the runs write on a running instance: the idle mark. */
export const MARK_TAG_KEYS = [DEFAULT_EC2_TAG_KEYS.markedAt, DEFAULT_EC2_TAG_KEYS.markReason];

/** Resource types RunInstances touches besides the instance itself, all pinned by the launch-template condition. */
export const LAUNCH_RESOURCE_TYPES = [
  'volume',
  'network-interface',
  'subnet',
  'security-group',
  'key-pair',
  'spot-instances-request',
];

export interface Ec2PolicyOptions {
  access: Ec2Access;
  launchTemplateId: string;
  instanceRoleArn?: string;
}

export function ec2Statements(stack: Stack, options: Ec2PolicyOptions): iam.PolicyStatement[] {
  if (options.access === 'none') return [];
  const arn = (resource: string, account = stack.account) =>
    `arn:${stack.partition}:ec2:${stack.region}:${account}:${resource}`;
  const instances = arn('instance/*');
  const managed = { StringEquals: { [`aws:ResourceTag/${MANAGED_TAG_KEY}`]: MANAGED_TAG_VALUE } };
  const statements = [
    new iam.PolicyStatement({
      sid: 'DescribeFleet',
      // Describe calls support no resource-level permission: the resource must be "*".
      actions: ['ec2:DescribeInstances', 'ec2:DescribeInstanceTypes'],
      resources: ['*'],
    }),
    new iam.PolicyStatement({
      sid: 'ReleaseManagedInstances',
      actions: ['ec2:StopInstances', 'ec2:TerminateInstances'],
      resources: [instances],
      conditions: managed,
    }),
    new iam.PolicyStatement({
      sid: 'MarkManagedInstances',
      actions: ['ec2:CreateTags', 'ec2:DeleteTags'],
      resources: [instances],
      conditions: { ...managed, 'ForAllValues:StringEquals': { 'aws:TagKeys': MARK_TAG_KEYS } },
    }),
  ];
  if (options.access !== 'launch-and-release') return statements;
  const template = arn(`launch-template/${options.launchTemplateId}`);
  const fromTemplate = { ArnLike: { 'ec2:LaunchTemplate': template } };
  statements.push(
    new iam.PolicyStatement({
      sid: 'LaunchFleet',
      actions: ['ec2:CreateFleet'],
      resources: [arn('fleet/*'), template],
    }),
    new iam.PolicyStatement({
      sid: 'LaunchFromTemplate',
      actions: ['ec2:CreateFleet', 'ec2:RunInstances'],
      resources: [
        template,
        `arn:${stack.partition}:ec2:${stack.region}::image/*`,
        ...LAUNCH_RESOURCE_TYPES.map((type) => arn(`${type}/*`)),
      ],
      conditions: fromTemplate,
    }),
    new iam.PolicyStatement({
      sid: 'LaunchManagedInstances',
      actions: ['ec2:CreateFleet', 'ec2:RunInstances'],
      resources: [instances],
      conditions: {
        ...fromTemplate,
        StringEquals: { [`aws:RequestTag/${MANAGED_TAG_KEY}`]: MANAGED_TAG_VALUE },
      },
    }),
    new iam.PolicyStatement({
      sid: 'TagOnLaunch',
      actions: ['ec2:CreateTags'],
      resources: [instances, arn('volume/*'), arn('fleet/*'), arn('spot-instances-request/*')],
      conditions: { StringEquals: { 'ec2:CreateAction': ['CreateFleet', 'RunInstances'] } },
    }),
    new iam.PolicyStatement({
      sid: 'ReadLaunchTemplate',
      actions: ['ec2:DescribeLaunchTemplateVersions', 'ec2:DescribeLaunchTemplates'],
      resources: ['*'],
    }),
  );
  if (options.instanceRoleArn)
    statements.push(
      new iam.PolicyStatement({
        sid: 'PassInstanceRole',
        actions: ['iam:PassRole'],
        resources: [options.instanceRoleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
      }),
    );
  return statements;
}
