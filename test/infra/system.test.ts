// The stack as the run catalogue and the stored config make it: each function's environment is its catalogue's,
// settings live in the table (500 pools synthesize), secrets are named and never written, capacity runs one at a time.
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { addStacks } from '../../lib/infra/app.ts';
import { readConfigDocument } from '../../lib/infra/config.ts';
import { MAX_ENVIRONMENT_BYTES, environmentBytes } from '../../lib/infra/handler-function.ts';
import { STACK_OUTPUTS } from '../../lib/infra/stack.ts';
import { environmentKeys, FUNCTION_NAMES, RUNS, type RunEntry } from '../../lib/system/catalogue.ts';
import { configDocument } from '../../lib/system/config.ts';

const EXAMPLE = readConfigDocument('config/example.json') as Record<string, unknown>;
const SLURM_JWT = 'eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LWp3dA.never-in-the-template';
const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1'] as const;
const TYPES = [
  ['g5.xlarge', 'A10G', 1, 24],
  ['g6.xlarge', 'L4', 1, 24],
  ['p4d.24xlarge', 'A100', 8, 40],
  ['p5.48xlarge', 'H100', 8, 80],
  ['g4dn.xlarge', 'T4', 1, 16],
] as const;

/** 500 pools over 3 regions (every type in every zone), Slurm with its JWT named, IRSA and Roles Anywhere trusted. */
function bigConfig(): Record<string, unknown> {
  const pools = [];
  for (let i = 0; pools.length < 500; i++) {
    const region = REGIONS[i % 3]!;
    const [instanceType, gpuModel, gpusPerInstance, gpuMemoryGiB] = TYPES[Math.floor(i / 3) % TYPES.length]!;
    const zone = `${region}${'abcdef'[Math.floor(i / 15) % 6]}`;
    const id = `aws:${region}:${zone}:${instanceType}:${i}`;
    pools.push({
      id,
      provider: 'aws',
      region,
      zone,
      instanceType,
      gpuModel,
      gpusPerInstance,
      gpuMemoryGiB,
      interconnect: gpusPerInstance > 1 ? 'nvswitch' : 'pcie',
    });
  }
  return {
    ...EXAMPLE,
    pools,
    mode: 'enforce',
    regions: {
      'us-west-2': {
        launchTemplateId: 'lt-0aaaaaaaaaaaaaaa1',
        subnets: { 'us-west-2a': 'subnet-0aaaaaaaaaaaaaaa1' },
      },
      'eu-west-1': { launchTemplateId: 'lt-0bbbbbbbbbbbbbbb2' },
    },
    forwarding: [{ region: 'us-west-2' }, { region: 'eu-west-1' }],
    connectors: {
      slurm: {
        url: 'https://slurm.example.internal:6820',
        user: 'gpu-optimizer',
        tokenSecretName: 'gpu-optimizer/slurm-jwt',
      },
      prometheus: { url: 'https://prometheus.example.internal:9090' },
    },
    agent: {
      oidcProviderArn:
        'arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE',
      rolesAnywhereTrustAnchorArn:
        'arn:aws:rolesanywhere:us-east-1:111122223333:trust-anchor/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111',
    },
  };
}

function synth(input: unknown) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stacks = addStacks(app, input);
  return Template.fromStack(stacks.central);
}

/** Template JSON is untyped: its properties are read as the test needs them. */
type Json = ReturnType<typeof JSON.parse>;
type Resources = Record<string, { Type: string; Properties: Json }>;
/** Our functions (the custom resource's provider has no Powertools service), by run name. */
function runFunctions(template: Template): Map<string, Json> {
  const all = Object.values(template.toJSON().Resources as Resources).filter(
    (r) => r.Type === 'AWS::Lambda::Function',
  );
  return new Map(
    all.flatMap((f) => {
      const service = f.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME as string | undefined;
      return service ? [[service.replace(/^gpu-optimizer-/, ''), f.Properties]] : [];
    }),
  );
}

let example: Template;
let big: Template;
beforeAll(() => {
  example = synth(EXAMPLE);
  big = synth(bigConfig());
}, 240_000);

describe('environment from the catalogue', () => {
  it("sets exactly each function's catalogue keys, and the config's version", () => {
    const functions = runFunctions(example);
    expect([...functions.keys()].sort()).toEqual([...FUNCTION_NAMES].sort());
    for (const [name, fn] of functions) {
      const variables = fn.Environment.Variables as Record<string, unknown>;
      const ours = Object.keys(variables).filter((k) => !k.startsWith('POWERTOOLS_'));
      expect(ours.sort(), name).toEqual(environmentKeys(RUNS[name as keyof typeof RUNS] as RunEntry).sort());
      if ('CONFIG_VERSION' in variables)
        expect(variables.CONFIG_VERSION).toBe(configDocument(EXAMPLE).version);
    }
  });

  it('stores the config document in the table at deploy, under the version the functions read', () => {
    const [writer] = Object.values(example.findResources('Custom::AWS'));
    const create = JSON.stringify(writer!.Properties);
    expect(create).toContain(configDocument(EXAMPLE).version);
    expect(create).toContain('putItem');
    expect(create).toContain('aws:us-east-1:us-east-1b:p4d.24xlarge');
  });
});

describe('a fresh deploy has pools, classes and prices at once', () => {
  it('invokes sync-config and refresh-prices once per config version, after the table holds it', () => {
    const resources = example.toJSON().Resources as Record<
      string,
      { Type: string; Properties: Json; DependsOn?: string[] }
    >;
    const invokes = Object.entries(resources).filter(
      ([, r]) => r.Type === 'Custom::AWS' && JSON.stringify(r.Properties).includes('invoke'),
    );
    expect(invokes.map(([id]) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual([
      'RefreshPricesAtDeploy',
      'SyncConfigAtDeploy',
    ]);
    for (const [, r] of invokes) {
      expect(JSON.stringify(r.Properties)).toContain(configDocument(EXAMPLE).version);
      expect(r.DependsOn!.some((d) => d.startsWith('StoredConfig'))).toBe(true);
    }
  });
});

describe('config at scale', () => {
  it('synthesizes 500 pools across 3 regions with every function environment under 4 KB', () => {
    const functions = runFunctions(big);
    expect(functions.size).toBe(FUNCTION_NAMES.length);
    for (const [name, fn] of functions) {
      const variables = fn.Environment.Variables as Record<string, unknown>;
      // Tokens (Ref of the table, the bus) stand for names of at most 255 characters.
      const sized = Object.fromEntries(
        Object.entries(variables).map(([k, v]) => [k, typeof v === 'string' ? v : 'x'.repeat(255)]),
      );
      expect(environmentBytes(sized), name).toBeLessThan(MAX_ENVIRONMENT_BYTES);
    }
    // The pools went to the stored document, not to any function.
    expect(JSON.stringify(big.findResources('Custom::AWS'))).toContain('aws:eu-west-1:');
  });

  it('lets the capacity runs launch in every region with pools, only from its template, subnets where configured', () => {
    const policies = JSON.stringify(big.findResources('AWS::IAM::Policy'));
    for (const template of ['lt-0123456789abcdef0', 'lt-0aaaaaaaaaaaaaaa1', 'lt-0bbbbbbbbbbbbbbb2'])
      expect(policies).toContain(`launch-template/${template}`);
    expect(policies).toContain(':ec2:us-west-2:');
    expect(policies).toContain('subnet/subnet-0aaaaaaaaaaaaaaa1');
    expect(policies).toContain('subnet/subnet-0123456789abcdef0');
    expect(policies).not.toMatch(/:ec2:us-east-1:[^"]*:subnet\/\*/);
  });
});

describe('secrets by reference', () => {
  it('never writes a secret value in the template; the runs that use the Slurm JWT may read its secret', () => {
    const text = JSON.stringify(big.toJSON());
    expect(text).not.toContain(SLURM_JWT);
    expect(text).not.toContain('"token"');
    expect(text).toContain('gpu-optimizer/slurm-jwt');
    const policies = Object.values(big.findResources('AWS::IAM::Policy'));
    const readers = policies
      .filter((p) => JSON.stringify(p.Properties.PolicyDocument).includes('slurm-jwt'))
      .map((p) => JSON.stringify(p.Properties.Roles).match(/(\w+?)Role/)?.[1]);
    expect(readers.sort()).toEqual(['Connectors', 'Interruption', 'Optimize', 'Reclaim']);
  });
});

describe('stack safety', () => {
  it('runs the capacity-changing functions one at a time', () => {
    const functions = runFunctions(example);
    for (const [name, fn] of functions)
      expect(fn.ReservedConcurrentExecutions, name).toBe(
        ['optimize', 'interruption', 'reclaim'].includes(name) ? 1 : undefined,
      );
  });

  it('outputs the agent role, its instance profile and the bus under the names the docs use', () => {
    const outputs = example.toJSON().Outputs as Record<string, { Value: unknown }>;
    for (const name of Object.values(STACK_OUTPUTS)) expect(outputs, name).toHaveProperty(name);
    expect(JSON.stringify(outputs[STACK_OUTPUTS.agentInstanceProfile]!.Value)).toMatch(
      /AgentInstanceProfile/,
    );
    expect(JSON.stringify(outputs[STACK_OUTPUTS.eventBusName]!.Value)).toMatch(/Bus/);
  });

  it('lets the agent role be assumed from EC2, EKS Pod Identity, IRSA (its service account only) and Roles Anywhere', () => {
    const role = Object.values(big.findResources('AWS::IAM::Role')).find((r) =>
      String(r.Properties.Description).startsWith('gpu-optimizer agent'),
    )!;
    const trust = role.Properties.AssumeRolePolicyDocument.Statement as Json[];
    const principals = trust.map((s) => JSON.stringify(s.Principal));
    expect(principals.join()).toContain('ec2.amazonaws.com');
    expect(principals.join()).toContain('pods.eks.amazonaws.com');
    expect(principals.join()).toContain('rolesanywhere.amazonaws.com');
    const irsa = trust.find((s) => s.Action === 'sts:AssumeRoleWithWebIdentity')!;
    expect(irsa.Condition.StringEquals).toEqual({
      'oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:sub':
        'system:serviceaccount:gpu-optimizer:gpu-optimizer-agent',
      'oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:aud': 'sts.amazonaws.com',
    });
    const anywhere = trust.find((s) => JSON.stringify(s.Principal).includes('rolesanywhere'))!;
    expect(anywhere.Condition.ArnEquals['aws:SourceArn']).toMatch(/trust-anchor/);
  });

  it('lets the launching runs pass the agent role to EC2 when no instance role is configured, and only to EC2', () => {
    const pass = Object.values(example.findResources('AWS::IAM::Policy'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Json[])
      .filter((s) => s.Sid === 'PassInstanceRole');
    expect(pass.length).toBe(2);
    for (const s of pass) {
      expect(JSON.stringify(s.Resource)).toMatch(/AgentRole/);
      expect(s.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } });
    }
  });
});
