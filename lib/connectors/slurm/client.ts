// slurmrestd over HTTP with JWT: finds the newest API version the server speaks and how it can change a node.
import type { z } from 'zod';
import { describeZodError } from '../../domain/validation.ts';
import { createJsonHttp, type JsonHttp } from '../http.ts';
import type { ScontrolRunner } from './scontrol.ts';
import {
  slurmRelease,
  zOpenApiPaths,
  zSlurmJobsResponse,
  zSlurmNodesResponse,
  zSlurmPingResponse,
  type SlurmJob,
  type SlurmMeta,
  type SlurmNode,
} from './schemas.ts';

export interface SlurmRestOptions {
  /** Base URL of slurmrestd, like http://slurm-head:6820. */
  url: string;
  user: string;
  /** A JWT from `scontrol token` (or a function that returns a fresh one). */
  token: string | (() => string);
  /** Skips detection: "v0.0.38", "v0.0.40" … */
  apiVersion?: string;
  /** Used where REST cannot update nodes (Slurm 22.05); without it those changes are refused. */
  scontrol?: ScontrolRunner;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** A change to one node: the states are those of `scontrol update nodename=… state=…`. */
export interface NodeUpdate {
  state?: 'DRAIN' | 'RESUME' | 'POWER_DOWN' | 'POWER_UP';
  reason?: string;
  comment?: string;
}

export class SlurmResponseError extends Error {
  constructor(what: string, detail: string) {
    super(`slurmrestd ${what}: ${detail}`);
    this.name = 'SlurmResponseError';
  }
}

/** How this server is spoken to, found once from its OpenAPI document. */
export interface SlurmApi {
  version: string;
  /** POST /slurm/{version}/node/{name} exists (Slurm 23.02 and later). */
  restNodeUpdate: boolean;
}

function versionNumber(version: string): number {
  return Number(/v0\.0\.(\d+)/.exec(version)?.[1] ?? -1);
}

/** The newest /slurm/v0.0.N/ API that lists nodes and jobs, and whether it can update a node. */
export function detectSlurmApi(openapi: unknown): SlurmApi {
  const parsed = zOpenApiPaths.safeParse(openapi);
  if (!parsed.success) throw new SlurmResponseError('OpenAPI document', describeZodError(parsed.error));
  const versions = new Set<string>();
  for (const path of Object.keys(parsed.data.paths)) {
    const m = /^\/slurm\/(v0\.0\.\d+)\/nodes\/?$/.exec(path);
    // 22.05 writes "/slurm/v0.0.38/jobs", 23.02 and later "/slurm/v0.0.40/jobs/".
    const jobs = parsed.data.paths[`/slurm/${m?.[1]}/jobs`] ?? parsed.data.paths[`/slurm/${m?.[1]}/jobs/`];
    if (m && jobs?.get) versions.add(m[1]!);
  }
  const newest = [...versions].sort((a, b) => versionNumber(b) - versionNumber(a))[0];
  if (!newest)
    throw new SlurmResponseError('OpenAPI document', 'no /slurm/v0.0.N/nodes path: not a slurmrestd');
  const nodePath = Object.entries(parsed.data.paths).find(([p]) =>
    new RegExp(`^/slurm/${newest.replace(/\./g, '\\.')}/node/\\{[^}]+\\}$`).test(p),
  );
  return { version: newest, restNodeUpdate: Boolean(nodePath?.[1].post) };
}

function parseSlurm<S extends z.ZodType>(schema: S, json: unknown, what: string): z.output<S> {
  const meta = (json as { meta?: { plugin?: { type?: string } } } | null)?.meta;
  if (meta?.plugin?.type === 'openapi/slurmdbd') {
    throw new SlurmResponseError(what, 'this is a slurmdbd (accounting) response, not slurmctld');
  }
  const result = schema.safeParse(json);
  if (!result.success) throw new SlurmResponseError(what, describeZodError(result.error));
  const errors = (result.data as { errors: { error?: string; description?: string }[] }).errors;
  if (errors.length > 0) {
    throw new SlurmResponseError(what, errors.map((e) => e.description || e.error || 'error').join('; '));
  }
  return result.data;
}

export function parseSlurmNodes(json: unknown): { nodes: SlurmNode[]; meta: SlurmMeta } {
  const data = parseSlurm(zSlurmNodesResponse, json, 'nodes');
  return { nodes: data.nodes, meta: data.meta };
}

export function parseSlurmJobs(json: unknown): { jobs: SlurmJob[]; meta: SlurmMeta } {
  const data = parseSlurm(zSlurmJobsResponse, json, 'jobs');
  return { jobs: data.jobs, meta: data.meta };
}

export interface SlurmRestClient {
  api(): Promise<SlurmApi>;
  /** The Slurm release and cluster name the server reports. */
  ping(): Promise<{ release: string | undefined; cluster: string | undefined }>;
  nodes(): Promise<SlurmNode[]>;
  jobs(): Promise<SlurmJob[]>;
  updateNode(name: string, update: NodeUpdate): Promise<void>;
}

export function createSlurmRestClient(options: SlurmRestOptions): SlurmRestClient {
  const http: JsonHttp = createJsonHttp({
    connector: 'slurm',
    baseUrl: options.url,
    timeoutMs: options.timeoutMs,
    fetch: options.fetch,
    headers: () => ({
      'X-SLURM-USER-NAME': options.user,
      'X-SLURM-USER-TOKEN': typeof options.token === 'function' ? options.token() : options.token,
    }),
  });
  let detected: Promise<SlurmApi> | undefined;

  async function api(): Promise<SlurmApi> {
    if (options.apiVersion) {
      return { version: options.apiVersion, restNodeUpdate: versionNumber(options.apiVersion) >= 39 };
    }
    detected ??= http.request({ path: '/openapi/v3' }).then((r) => detectSlurmApi(r.json));
    // A failed detection is retried on the next call rather than remembered.
    return detected.catch((error: unknown) => {
      detected = undefined;
      throw error;
    });
  }

  async function get(resource: string): Promise<unknown> {
    const { version } = await api();
    return (await http.request({ path: `/slurm/${version}/${resource}` })).json;
  }

  return {
    api,
    async ping() {
      const data = parseSlurm(zSlurmPingResponse, await get('ping'), 'ping');
      return {
        release: slurmRelease(data.meta),
        cluster: data.meta?.slurm?.cluster ?? data.meta?.Slurm?.cluster,
      };
    },
    async nodes() {
      return parseSlurmNodes(await get('nodes')).nodes;
    },
    async jobs() {
      return parseSlurmJobs(await get('jobs')).jobs;
    },
    async updateNode(name, update) {
      const { version, restNodeUpdate } = await api();
      if (restNodeUpdate) {
        const body = {
          ...(update.state ? { state: [update.state] } : {}),
          ...(update.reason !== undefined ? { reason: update.reason } : {}),
          ...(update.comment !== undefined ? { comment: update.comment } : {}),
        };
        const r = await http.request({
          method: 'POST',
          path: `/slurm/${version}/node/${encodeURIComponent(name)}`,
          body,
        });
        parseSlurm(zSlurmPingResponse, r.json ?? { errors: [] }, `update of node ${name}`);
        return;
      }
      if (!options.scontrol) {
        throw new SlurmResponseError(
          `update of node ${name}`,
          `API ${version} cannot update nodes (Slurm before 23.02) and no scontrol is configured`,
        );
      }
      const args = ['update', `nodename=${name}`];
      if (update.state) args.push(`state=${update.state}`);
      if (update.reason !== undefined) args.push(`reason=${update.reason}`);
      if (update.comment !== undefined) args.push(`comment=${update.comment}`);
      await options.scontrol(args);
    },
  };
}
