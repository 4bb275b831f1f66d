// The agent's install files agree with the code, the pinned Node and what bench:agent measured.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { DEFAULT_BUS_NAME } from '../../lib/domain/bus.ts';
import { AGENT_BUNDLE, AGENT_NODE_OPTIONS } from '../../scripts/build-agent.ts';

const read = (path: string) => readFileSync(path, 'utf8');
const pinnedNode = /NODE_VERSION=(\d+\.\d+\.\d+)/.exec(read('.ci/node.sh'))![1]!;

interface K8sObject {
  kind: string;
  metadata: { name: string; namespace?: string };
  spec?: {
    template: {
      spec: {
        nodeSelector: Record<string, string>;
        tolerations: { key: string; operator: string; effect: string }[];
        containers: {
          image: string;
          env: { name: string; value?: string }[];
          resources: { requests: { memory: string }; limits: { memory: string } };
        }[];
      };
    };
  };
}

const mebibytes = (quantity: string) => {
  const match = /^(\d+)Mi$/.exec(quantity);
  if (!match) throw new Error(`expected a quantity in Mi, got ${quantity}`);
  return Number(match[1]);
};

describe('the agent image', () => {
  const dockerfile = read('deploy/agent/Dockerfile');

  it('runs on the Node the project is tested on, pinned to the patch release', () => {
    const bases = [...dockerfile.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]);
    expect(bases.length).toBeGreaterThan(0);
    for (const base of bases) expect(base).toBe(`node:${pinnedNode}-bookworm-slim`);
  });

  it('builds the bundle with the project’s script and runs it with the agent’s Node flags', () => {
    expect(dockerfile).toContain('RUN npm ci');
    expect(dockerfile).toContain('RUN npm run build:agent');
    expect(dockerfile).toContain(`/src/${AGENT_BUNDLE}`);
    expect(dockerfile).toContain(`NODE_OPTIONS="${AGENT_NODE_OPTIONS}"`);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node", "\/opt\/gpu-optimizer\/gpu-optimizer-agent\.mjs"\]$/m);
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    expect(pkg.scripts['build:agent']).toBe('tsx scripts/build-agent.ts');
  });
});

describe('the systemd unit', () => {
  const unit = read('deploy/agent/gpu-optimizer-agent.service');

  it('runs the installed bundle with the agent’s Node flags and keeps the spool in a state directory', () => {
    expect(unit).toMatch(
      /^ExecStart=\/usr\/bin\/env node \/opt\/gpu-optimizer\/gpu-optimizer-agent\.mjs agent /m,
    );
    expect(unit).toContain(`Environment="NODE_OPTIONS=${AGENT_NODE_OPTIONS}"`);
    expect(unit).toMatch(/^StateDirectory=gpu-optimizer$/m);
  });
});

describe('the DaemonSet manifest', () => {
  const objects = parseAllDocuments(read('deploy/agent/daemonset.yaml')).map((d) => d.toJS() as K8sObject);
  const daemonSet = objects.find((o) => o.kind === 'DaemonSet')!;
  const pod = daemonSet.spec!.template.spec;
  const container = pod.containers[0]!;
  const env = Object.fromEntries(container.env.map((e) => [e.name, e.value]));

  it('creates its namespace and puts every namespaced object in it', () => {
    const namespace = objects.find((o) => o.kind === 'Namespace');
    expect(namespace?.metadata.name).toBe('gpu-optimizer');
    for (const o of objects.filter((o) => o.kind !== 'Namespace'))
      expect(o.metadata.namespace).toBe('gpu-optimizer');
  });

  it('runs only on GPU nodes, through their GPU taints', () => {
    expect(pod.nodeSelector).toEqual({ 'nvidia.com/gpu.present': 'true' });
    expect(pod.tolerations.map((t) => `${t.key}:${t.effect}`)).toEqual(
      expect.arrayContaining(['nvidia.com/gpu:NoSchedule', 'nvidia.com/gpu:NoExecute']),
    );
  });

  it('sends to the stack’s bus with the agent’s Node flags', () => {
    expect(env.GPU_OPTIMIZER_BUS).toBe(DEFAULT_BUS_NAME);
    expect(env.NODE_OPTIONS).toBe(AGENT_NODE_OPTIONS);
  });

  it('requests the memory the 24-hour soak measured, and limits it with room above', () => {
    const soak = JSON.parse(read('bench/results/agent.json')) as { hours: number; rssMiB: number };
    expect(soak.hours).toBeGreaterThanOrEqual(24);
    const request = mebibytes(container.resources.requests.memory);
    expect(request).toBeGreaterThanOrEqual(soak.rssMiB);
    expect(request).toBeLessThan(soak.rssMiB * 1.5);
    expect(mebibytes(container.resources.limits.memory)).toBeGreaterThanOrEqual(2 * request);
  });
});
