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

/** Where launches may go in one region: the template, and when configured, only these subnets and security groups. */
export interface Ec2LaunchRegion {
  region: string;
  launchTemplateId: string;
  subnetIds: readonly string[];
  securityGroupIds: readonly string[];
}

export interface Ec2PolicyOptions {
  access: Ec2Access;
  /** Every region with pools; the stack's own first. */
  regions: readonly Ec2LaunchRegion[];
  /** The role the launch template's instance profile carries: CreateFleet passes it (iam:PassRole). */
  instanceRoleArn: string;
}

export function ec2Statements(stack: Stack, options: Ec2PolicyOptions): iam.PolicyStatement[] {
  if (options.access === 'none') return [];
  const arnIn = (region: string, resource: string, account = stack.account) =>
    `arn:${stack.partition}:ec2:${region}:${account}:${resource}`;
  const everyRegion = (resource: string) => options.regions.map((r) => arnIn(r.region, resource));
  const instances = everyRegion('instance/*');
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
      resources: instances,
      conditions: managed,
    }),
    new iam.PolicyStatement({
      sid: 'MarkManagedInstances',
      actions: ['ec2:CreateTags', 'ec2:DeleteTags'],
      resources: instances,
      conditions: {
        ...managed,
        'ForAllValues:StringEquals': { 'aws:TagKeys': MARK_TAG_KEYS },
        // ForAllValues passes on an empty set: DeleteTags with no keys (every tag) must not match.
        Null: { 'aws:TagKeys': 'false' },
      },
    }),
  ];
  if (options.access !== 'launch-and-release') return statements;
  const templates = options.regions.map((r) => arnIn(r.region, `launch-template/${r.launchTemplateId}`));
  const fromTemplate = { ArnLike: { 'ec2:LaunchTemplate': templates } };
  // Subnets and security groups: the configured ones when there are, else any the template names.
  const launchResources = LAUNCH_RESOURCE_TYPES.flatMap((type) =>
    options.regions.flatMap((r) => {
      const ids = type === 'subnet' ? r.subnetIds : type === 'security-group' ? r.securityGroupIds : [];
      return ids.length > 0
        ? ids.map((id) => arnIn(r.region, `${type}/${id}`))
        : [arnIn(r.region, `${type}/*`)];
    }),
  );
  statements.push(
    new iam.PolicyStatement({
      sid: 'LaunchFleet',
      actions: ['ec2:CreateFleet'],
      resources: [...everyRegion('fleet/*'), ...templates],
    }),
    new iam.PolicyStatement({
      sid: 'LaunchFromTemplate',
      actions: ['ec2:CreateFleet', 'ec2:RunInstances'],
      resources: [
        ...templates,
        ...options.regions.map((r) => `arn:${stack.partition}:ec2:${r.region}::image/*`),
        ...launchResources,
      ],
      conditions: fromTemplate,
    }),
    new iam.PolicyStatement({
      sid: 'LaunchManagedInstances',
      actions: ['ec2:CreateFleet', 'ec2:RunInstances'],
      resources: instances,
      conditions: {
        ...fromTemplate,
        StringEquals: { [`aws:RequestTag/${MANAGED_TAG_KEY}`]: MANAGED_TAG_VALUE },
      },
    }),
    new iam.PolicyStatement({
      sid: 'TagOnLaunch',
      actions: ['ec2:CreateTags'],
      resources: [
        ...instances,
        ...everyRegion('volume/*'),
        ...everyRegion('fleet/*'),
        ...everyRegion('spot-instances-request/*'),
      ],
      conditions: { StringEquals: { 'ec2:CreateAction': ['CreateFleet', 'RunInstances'] } },
    }),
    new iam.PolicyStatement({
      sid: 'ReadLaunchTemplate',
      actions: ['ec2:DescribeLaunchTemplateVersions', 'ec2:DescribeLaunchTemplates'],
      resources: ['*'],
    }),
    // CreateFleet passes the template's instance profile role to EC2: without this every launch is refused.
    new iam.PolicyStatement({
      sid: 'PassInstanceRole',
      actions: ['iam:PassRole'],
      resources: [options.instanceRoleArn],
      conditions: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
    }),
  );
  return statements;
}
