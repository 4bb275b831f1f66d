// The CDK app: the central GpuOptimizerStack and one forwarding stack per extra region or account, checked by cdk-nag.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { App, Aspects, Annotations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadDeployConfig } from '../lib/infra/load-config.ts';
import { addStacks } from '../lib/infra/app.ts';

const app = new App();
const { config, source } = loadDeployConfig(app.node, { cwd: process.cwd(), exists: existsSync, resolve });
const stacks = addStacks(app, config);
if (source === 'example')
  Annotations.of(stacks.central).addWarningV2(
    'gpu-optimizer:example-config',
    'No config given (-c config=FILE or gpu-optimizer.config.json): synthesized from config/example.json.',
  );
Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
app.synth();
