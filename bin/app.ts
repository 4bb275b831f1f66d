// The CDK app: the central GpuOptimizerStack and one forwarding stack per extra region or account, checked by cdk-nag.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { App, Aspects, Annotations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ValidationError } from '../lib/domain/validation.ts';
import { addStacks } from '../lib/infra/app.ts';
import { loadDeployConfig } from '../lib/infra/load-config.ts';

const app = new App();
try {
  const { config, input, source } = loadDeployConfig(app.node, {
    cwd: process.cwd(),
    exists: existsSync,
    resolve,
  });
  const stacks = addStacks(app, input, config);
  if (source === 'example')
    Annotations.of(stacks.central).addWarningV2(
      'gpu-optimizer:example-config',
      'Synthesized from config/example.json (--context example=true): placeholders, not for deploying.',
    );
} catch (error) {
  // A config error is the user's to fix: one line that says what, no stack trace.
  if (!(error instanceof ValidationError)) throw error;
  process.stderr.write(`gpu-optimizer: ${error.message}\n`);
  process.exit(1);
}
Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
app.synth();
