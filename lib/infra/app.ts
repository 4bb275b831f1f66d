// Adds the stacks of one deployment to an app: the central stack, then a forwarding stack per extra region or account.
import { Aws, Tags, type App } from 'aws-cdk-lib';
import { configDocument, parseDeployConfig, type DeployConfig } from './config.ts';
import { ForwardingStack } from './forwarding-stack.ts';
import { GpuOptimizerStack } from './stack.ts';

export interface DeploymentStacks {
  central: GpuOptimizerStack;
  forwarding: ForwardingStack[];
}

/** The stacks of one config document (as written: the table keeps it and the runs read it back). */
export function addStacks(app: App, input: unknown, parsed?: DeployConfig): DeploymentStacks {
  const config = parsed ?? parseDeployConfig(input);
  const central = new GpuOptimizerStack(app, config.stackName, {
    config,
    document: configDocument(input),
    description: 'gpu-optimizer: GPU fleet cost optimizer (bus, ingest, runs, reports)',
    env: { region: config.region, ...(config.account ? { account: config.account } : {}) },
  });
  const forwarding = config.forwarding.map(
    (f) =>
      new ForwardingStack(app, `${config.stackName}-forward-${f.account ? `${f.account}-` : ''}${f.region}`, {
        description: `gpu-optimizer: forwards EC2 events of ${f.region} to ${config.region}`,
        env: { region: f.region, ...(f.account ? { account: f.account } : {}) },
        // Without an account in the config, the central bus is in the account each stack deploys to.
        centralBusArn: `arn:aws:events:${config.region}:${config.account ?? Aws.ACCOUNT_ID}:event-bus/${config.stackName}`,
      }),
  );
  for (const stack of [central, ...forwarding]) Tags.of(stack).add('gpu-optimizer:stack', config.stackName);
  return { central, forwarding };
}
