// cdk-nag AwsSolutions suppressions of the stack, each with the reason the finding does not apply.
import type { Stack } from 'aws-cdk-lib';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { NagSuppressions } from 'cdk-nag';
import type { FunctionName } from './access.ts';
import { LAUNCH_RESOURCE_TYPES } from './ec2-policy.ts';
import type { HandlerFunction } from './handler-function.ts';

export interface NagParts {
  functions: ReadonlyMap<FunctionName, HandlerFunction>;
  deliveryDlq: sqs.IQueue;
  /** The bucket and prefix of the bill exports import-bill may read, when bills are configured. */
  billExports?: { bucket: string; prefix: string };
}

/** The construct id aws-cdk-lib gives the singleton function behind every AwsCustomResource. */
const STORED_CONFIG_PROVIDER_ID = 'AWS679f53fac002430cb0da5b7982bd2287';

/** The ec2 ARNs whose resource part is a wildcard, as cdk-nag writes them. */
const ec2Wildcard = (type: string) => ({
  regex: `/^Resource::arn:<AWS::Partition>:ec2:[a-z0-9-]+:(<AWS::AccountId>|\\d{12}):${type}\\/\\*$/`,
});

export function suppressStackFindings(stack: Stack, parts: NagParts): void {
  NagSuppressions.addResourceSuppressions(parts.deliveryDlq, [
    {
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter queue of the rule and schedule targets; nothing redrives from it.',
    },
  ]);
  for (const handler of parts.functions.values()) {
    NagSuppressions.addResourceSuppressions(handler.function, [
      {
        id: 'AwsSolutions-L1',
        reason:
          'Pinned to nodejs24.x (Node 24 LTS): the bundles are built (esbuild target node24) and benchmarked for it; moving runtimes is a deliberate change.',
      },
    ]);
  }
  for (const name of ['optimize', 'interruption', 'reclaim'] as const) {
    const handler = parts.functions.get(name);
    if (!handler) continue;
    NagSuppressions.addResourceSuppressions(
      handler.role,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'ec2:DescribeInstances, DescribeInstanceTypes and DescribeLaunchTemplate* support no resource-level permissions; they only read.',
          appliesTo: ['Resource::*'],
        },
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'Instance ids are not known in advance: Stop/Terminate/CreateTags/DeleteTags are conditioned on aws:ResourceTag gpu-optimizer:managed=true (and tag keys limited to the mark), launches on aws:RequestTag managed=true and the launch template.',
          appliesTo: [ec2Wildcard('instance')],
        },
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'Resources a launch creates or uses (volumes, network interfaces, subnets, security groups, key pairs, spot requests, images) are chosen by the launch template; every such statement is conditioned on ec2:LaunchTemplate being the configured template, or on ec2:CreateAction for tags at launch. Fleets are created with new ids.',
          appliesTo: [...LAUNCH_RESOURCE_TYPES, 'fleet']
            .map(ec2Wildcard)
            .concat([{ regex: '/^Resource::arn:<AWS::Partition>:ec2:[a-z0-9-]+::image\\/\\*$/' }]),
        },
      ],
      true,
    );
  }
  const refreshPrices = parts.functions.get('refreshPrices');
  if (refreshPrices)
    NagSuppressions.addResourceSuppressions(
      refreshPrices.role,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'pricing:GetProducts, ec2:DescribeSpotPriceHistory and ec2:DescribeInstanceTypes support no resource-level permissions; they only read.',
          appliesTo: ['Resource::*'],
        },
      ],
      true,
    );
  const importBill = parts.functions.get('importBill');
  if (importBill && parts.billExports)
    NagSuppressions.addResourceSuppressions(
      importBill.role,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'Export object keys are new each day and chosen by the exporting service: s3:GetObject only, on the configured bucket and key prefix only.',
          appliesTo: [
            `Resource::arn:<AWS::Partition>:s3:::${parts.billExports.bucket}/${parts.billExports.prefix}*`,
          ],
        },
      ],
      true,
    );
  // The provider of the StoredConfig custom resource (one singleton function of aws-cdk-lib).
  const configWriter = stack.node.tryFindChild(STORED_CONFIG_PROVIDER_ID);
  if (configWriter)
    NagSuppressions.addResourceSuppressions(
      configWriter,
      [
        {
          id: 'AwsSolutions-IAM4',
          reason:
            "AwsCustomResource's provider logs through AWSLambdaBasicExecutionRole; its own policy is one dynamodb:PutItem on the config partition of the table.",
          appliesTo: [
            'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
          ],
        },
        {
          id: 'AwsSolutions-L1',
          reason:
            'The runtime of aws-cdk-lib’s AwsCustomResource provider is chosen by aws-cdk-lib; it runs once per deploy.',
        },
      ],
      true,
    );
  // EventBridge Scheduler's target roles (one per function, made by LambdaInvoke) invoke the function and its versions.
  for (const child of stack.node.children)
    if (child.node.id.startsWith('SchedulerRoleForTarget-'))
      NagSuppressions.addResourceSuppressions(
        child,
        [
          {
            id: 'AwsSolutions-IAM5',
            reason:
              'lambda:InvokeFunction on one function and its qualified ARNs (<arn>:*), as LambdaInvoke grants it; no other function.',
            appliesTo: [{ regex: '/^Resource::<[A-Za-z0-9]+Function[A-Za-z0-9]+\\.Arn>:\\*$/' }],
          },
        ],
        true,
      );
}
