// A small stack in each extra region or account: its EC2 spot and state events go to the central bus.
import { Stack, type StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';
import { EC2_DETAIL_TYPES, EC2_SOURCE } from '../ingest/ec2-events.ts';

export interface ForwardingStackProps extends StackProps {
  /** ARN of the central stack's bus. */
  centralBusArn: string;
}

/** The EC2 events the central stack acts on; other EC2 events stay where they are. */
export const FORWARDED_DETAIL_TYPES = [
  EC2_DETAIL_TYPES.stateChange,
  EC2_DETAIL_TYPES.spotInterruption,
  EC2_DETAIL_TYPES.rebalance,
];

export class ForwardingStack extends Stack {
  constructor(scope: Construct, id: string, props: ForwardingStackProps) {
    super(scope, id, props);
    const central = events.EventBus.fromEventBusArn(this, 'CentralBus', props.centralBusArn);
    const dlq = new sqs.Queue(this, 'ForwardingDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    NagSuppressions.addResourceSuppressions(dlq, [
      {
        id: 'AwsSolutions-SQS3',
        reason:
          'This queue is itself the dead-letter queue of the forwarding rule; nothing redrives from it.',
      },
    ]);
    new events.Rule(this, 'ForwardEc2Events', {
      description: 'EC2 spot notices and state changes → the gpu-optimizer central bus',
      eventPattern: { source: [EC2_SOURCE], detailType: FORWARDED_DETAIL_TYPES },
      targets: [new targets.EventBus(central, { deadLetterQueue: dlq })],
    });
  }
}
