// A slurmrestd of Slurm 23.02+ for tests: serves recorded node and job answers and applies POST node/{name} to them.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeSlurmrestd {
  url: string;
  /** Every POST body received, by node name. */
  updates: { node: string; body: Record<string, unknown> }[];
  nodesDocument: { nodes: Record<string, unknown>[] };
  close(): Promise<void>;
}

/** Applies a node update the way slurmctld does to the fields the connector reads. */
function applyUpdate(node: Record<string, unknown>, body: Record<string, unknown>) {
  const state = new Set(node.state as string[]);
  for (const s of (body.state as string[] | undefined) ?? []) {
    if (s === 'DRAIN') state.add('DRAIN');
    if (s === 'RESUME') state.delete('DRAIN');
    if (s === 'POWER_DOWN') state.add('POWERED_DOWN');
    if (s === 'POWER_UP') {
      state.delete('POWERED_DOWN');
      state.add('POWERING_UP');
    }
  }
  node.state = [...state];
  if (typeof body.comment === 'string') node.comment = body.comment;
  if (typeof body.reason === 'string') node.reason = body.reason;
}

export async function startFakeSlurmrestd(
  version: string,
  nodesDocument: { nodes: Record<string, unknown>[] },
  jobsDocument: unknown,
): Promise<FakeSlurmrestd> {
  const updates: FakeSlurmrestd['updates'] = [];
  const openapi = {
    paths: {
      [`/slurm/${version}/ping/`]: { get: {} },
      [`/slurm/${version}/nodes/`]: { get: {} },
      [`/slurm/${version}/jobs/`]: { get: {} },
      [`/slurm/${version}/node/{node_name}`]: { get: {}, post: {}, delete: {} },
    },
  };
  const server: Server = createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (!req.headers['x-slurm-user-token']) return send(401, { errors: [{ error: 'no token' }] });
    const path = (req.url ?? '').split('?')[0]!.replace(/\/$/, '');
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      if (path === '/openapi/v3') return send(200, openapi);
      if (path === `/slurm/${version}/nodes`) return send(200, nodesDocument);
      if (path === `/slurm/${version}/jobs`) return send(200, jobsDocument);
      if (path === `/slurm/${version}/ping`) return send(200, { meta: {}, errors: [] });
      const m = new RegExp(`^/slurm/${version.replace(/\./g, '\\.')}/node/([^/]+)$`).exec(path);
      if (m && req.method === 'POST') {
        const name = decodeURIComponent(m[1]!);
        const node = nodesDocument.nodes.find((n) => n.name === name);
        if (!node) return send(404, { errors: [{ error: `no node ${name}` }] });
        const parsed = JSON.parse(body) as Record<string, unknown>;
        updates.push({ node: name, body: parsed });
        applyUpdate(node, parsed);
        return send(200, { errors: [] });
      }
      send(404, { errors: [{ error: `no route ${path}` }] });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    updates,
    nodesDocument,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
