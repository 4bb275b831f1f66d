// A Kubernetes API server for tests on 127.0.0.1: lists, merge-patches nodes, evicts pods, and answers 429 where a PDB blocks.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

type Json = Record<string, unknown>;
interface Obj {
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: Json;
  status?: Json;
}

export interface FakeKubeApiServer {
  url: string;
  nodes: Obj[];
  pods: Obj[];
  /** namespace/name of pods whose eviction a PodDisruptionBudget refuses. */
  pdbBlocked: Set<string>;
  requests: { method: string; path: string; body?: unknown }[];
  close(): Promise<void>;
}

/** RFC 7386 merge patch: null deletes, objects merge, anything else replaces. */
function mergePatch(target: Json, patch: Json): Json {
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete target[key];
    else if (typeof value === 'object' && !Array.isArray(value)) {
      target[key] = mergePatch((target[key] as Json | undefined) ?? {}, value as Json);
    } else target[key] = value;
  }
  return target;
}

function matchesFieldSelector(pod: Obj, selector: string | null): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const m = /^([\w.]+)(!=|==|=)(.*)$/.exec(term);
    if (!m) return true;
    const [, field, op, value] = m;
    const actual =
      field === 'spec.nodeName'
        ? pod.spec?.nodeName
        : field === 'status.phase'
          ? pod.status?.phase
          : undefined;
    return op === '!=' ? actual !== value : actual === value;
  });
}

export async function startFakeKubeApiServer(
  nodes: Obj[],
  pods: Obj[],
  pageSize = 2,
): Promise<FakeKubeApiServer> {
  const fake = { nodes, pods, pdbBlocked: new Set<string>(), requests: [] as FakeKubeApiServer['requests'] };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const notFound = (what: string) =>
      send(404, {
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        message: `${what} not found`,
        reason: 'NotFound',
        code: 404,
      });
    const page = (kind: string, items: Obj[]) => {
      const start = Number(url.searchParams.get('continue') ?? 0);
      const size = Math.min(Number(url.searchParams.get('limit') ?? 500), pageSize);
      const next = start + size < items.length ? String(start + size) : undefined;
      send(200, {
        kind,
        apiVersion: 'v1',
        metadata: { resourceVersion: '1', ...(next ? { continue: next } : {}) },
        items: items.slice(start, start + size),
      });
    };
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const body = raw ? (JSON.parse(raw) as Json) : undefined;
      fake.requests.push({ method: req.method ?? 'GET', path: url.pathname, ...(body ? { body } : {}) });
      const path = url.pathname;
      if (req.method === 'GET' && path === '/api/v1/nodes') return page('NodeList', fake.nodes);
      if (req.method === 'GET' && path === '/api/v1/pods') {
        return page(
          'PodList',
          fake.pods.filter((p) => matchesFieldSelector(p, url.searchParams.get('fieldSelector'))),
        );
      }
      const node = /^\/api\/v1\/nodes\/([^/]+)$/.exec(path);
      if (node) {
        const found = fake.nodes.find((n) => n.metadata.name === decodeURIComponent(node[1]!));
        if (!found) return notFound(`nodes "${node[1]}"`);
        if (req.method === 'PATCH') {
          if (req.headers['content-type'] !== 'application/merge-patch+json')
            return send(415, { kind: 'Status', code: 415 });
          mergePatch(found as unknown as Json, body ?? {});
        }
        return send(200, found);
      }
      const eviction = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/eviction$/.exec(path);
      if (eviction && req.method === 'POST') {
        const key = `${eviction[1]}/${eviction[2]}`;
        const at = fake.pods.findIndex((p) => `${p.metadata.namespace}/${p.metadata.name}` === key);
        if (at < 0) return notFound(`pods "${eviction[2]}"`);
        if (fake.pdbBlocked.has(key)) {
          return send(429, {
            kind: 'Status',
            apiVersion: 'v1',
            status: 'Failure',
            message: "Cannot evict pod as it would violate the pod's disruption budget.",
            reason: 'TooManyRequests',
            details: {
              causes: [
                {
                  reason: 'DisruptionBudget',
                  message: 'The disruption budget trainer-pdb needs 1 healthy pods and has 1 currently',
                },
              ],
            },
            code: 429,
          });
        }
        fake.pods.splice(at, 1);
        return send(201, { kind: 'Status', apiVersion: 'v1', status: 'Success', code: 201 });
      }
      notFound(path);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    ...fake,
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** One ready node with 8 H100s, all taken by one running pod of the `llm` namespace. */
export async function startOneH100Cluster(): Promise<FakeKubeApiServer> {
  return startFakeKubeApiServer(
    [
      {
        metadata: {
          name: 'gpu-a',
          labels: { 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3', 'nvidia.com/gpu.count': '8' },
        },
        spec: {},
        status: { capacity: { 'nvidia.com/gpu': '8' }, conditions: [{ type: 'Ready', status: 'True' }] },
      },
    ],
    [
      {
        metadata: { name: 'train-0', namespace: 'llm' },
        spec: {
          nodeName: 'gpu-a',
          containers: [{ name: 'c', resources: { limits: { 'nvidia.com/gpu': '8' } } }],
        },
        status: { phase: 'Running' },
      },
    ],
  );
}
