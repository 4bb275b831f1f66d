// A Kubernetes cluster as a CapacityProvider over its REST API: GPU nodes and pods, cordon + drain by eviction, marks as labels.
import type { z } from 'zod';
import type { NodeMark } from '../../domain/fleet.ts';
import {
  NodeNotFoundError,
  type CapacityProvider,
  type Clock,
  type LaunchOutcome,
  type LaunchRequest,
  type ReleaseOutcome,
  type ReleaseRequest,
} from '../../domain/ports.ts';
import { describeZodError } from '../../domain/validation.ts';
import { ConnectorHttpError, createJsonHttp } from '../http.ts';
import type { UtilizationSource } from '../../domain/ports.ts';
import {
  DEFAULT_KUBE_LABEL_KEYS,
  kubeFleetView,
  kubeNodeId,
  type KubeFleetView,
  type KubeLabelKeys,
} from './map.ts';
import { zKubeNodeList, zKubePodList, type KubeNode, type KubePod } from './schemas.ts';

export interface KubernetesProviderOptions {
  /** API server URL, like https://10.0.0.1:6443 (its CA must be trusted by Node, e.g. NODE_EXTRA_CA_CERTS). */
  url: string;
  /** A service account token; its role needs nodes get/list/patch, pods list, pods/eviction create. */
  token?: string | (() => string);
  cluster: string;
  labelKeys?: Partial<KubeLabelKeys>;
  utilization?: UtilizationSource;
  name?: string;
  clock?: Clock;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export class KubernetesResponseError extends Error {
  constructor(what: string, detail: string) {
    super(`kubernetes ${what}: ${detail}`);
    this.name = 'KubernetesResponseError';
  }
}

const MERGE_PATCH = 'application/merge-patch+json';
/** The Eviction API answers 429 when a PodDisruptionBudget would be violated: the pod stays. */
const EVICTION_BLOCKED = 429;

function parseKube<S extends z.ZodType>(schema: S, json: unknown, what: string): z.output<S> {
  const result = schema.safeParse(json);
  if (!result.success) throw new KubernetesResponseError(what, describeZodError(result.error));
  return result.data;
}

/** Pods a drain leaves alone, as kubectl drain does: DaemonSet pods come back anyway, mirror pods cannot be evicted. */
function drainSkips(pod: KubePod): boolean {
  const phase = pod.status?.phase;
  return (
    phase === 'Succeeded' ||
    phase === 'Failed' ||
    (pod.metadata.ownerReferences ?? []).some((o) => o.kind === 'DaemonSet') ||
    pod.metadata.annotations['kubernetes.io/config.mirror'] !== undefined
  );
}

export function createKubernetesProvider(options: KubernetesProviderOptions): CapacityProvider {
  const keys: KubeLabelKeys = { ...DEFAULT_KUBE_LABEL_KEYS, ...options.labelKeys };
  const clock = options.clock ?? { now: () => Date.now() };
  const http = createJsonHttp({
    connector: 'kubernetes',
    baseUrl: options.url,
    timeoutMs: options.timeoutMs,
    fetch: options.fetch,
    acceptStatuses: [EVICTION_BLOCKED],
    headers: (): Record<string, string> => {
      const token = typeof options.token === 'function' ? options.token() : options.token;
      return token ? { authorization: `Bearer ${token}` } : {};
    },
  });

  /** Every item of a list, following `continue` tokens. */
  async function list<
    S extends z.ZodType<{ items: unknown[]; metadata?: { continue?: string | null } | null }>,
  >(path: string, schema: S, query: Record<string, string> = {}): Promise<z.output<S>['items']> {
    const items: unknown[] = [];
    let token: string | undefined;
    do {
      const { json } = await http.request({
        path,
        query: { limit: '500', ...query, ...(token ? { continue: token } : {}) },
      });
      const page = parseKube(schema, json, path);
      items.push(...page.items);
      token = page.metadata?.continue || undefined;
    } while (token);
    return items;
  }

  const listNodes = () => list('/api/v1/nodes', zKubeNodeList) as Promise<KubeNode[]>;
  const listPods = (fieldSelector: string) =>
    list('/api/v1/pods', zKubePodList, { fieldSelector }) as Promise<KubePod[]>;

  async function read(): Promise<{ view: KubeFleetView; byId: Map<string, KubeNode> }> {
    const [nodes, pods] = await Promise.all([
      listNodes(),
      listPods('status.phase!=Succeeded,status.phase!=Failed'),
    ]);
    const view = kubeFleetView(nodes, pods, options.cluster, keys, clock.now());
    return { view, byId: new Map(nodes.map((n) => [kubeNodeId(options.cluster, n.metadata.name), n])) };
  }

  async function patchNode(name: string, body: unknown): Promise<void> {
    await http.request({
      method: 'PATCH',
      path: `/api/v1/nodes/${encodeURIComponent(name)}`,
      body,
      contentType: MERGE_PATCH,
    });
  }

  async function nodeName(nodeId: string): Promise<string> {
    const prefix = kubeNodeId(options.cluster, '');
    if (!nodeId.startsWith(prefix)) throw new NodeNotFoundError(nodeId);
    const name = nodeId.slice(prefix.length);
    try {
      await http.request({ path: `/api/v1/nodes/${encodeURIComponent(name)}` });
    } catch (error) {
      if (error instanceof ConnectorHttpError && error.status === 404) throw new NodeNotFoundError(nodeId);
      throw error;
    }
    return name;
  }

  /** Cordons the node, then evicts its pods; the names of pods a PodDisruptionBudget kept. */
  async function drain(name: string): Promise<string[]> {
    await patchNode(name, { spec: { unschedulable: true } });
    const blocked: string[] = [];
    for (const pod of await listPods(`spec.nodeName=${name}`)) {
      if (drainSkips(pod)) continue;
      const ns = pod.metadata.namespace ?? 'default';
      const response = await http.request({
        method: 'POST',
        path: `/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(pod.metadata.name)}/eviction`,
        body: {
          apiVersion: 'policy/v1',
          kind: 'Eviction',
          metadata: { name: pod.metadata.name, namespace: ns },
        },
      });
      if (response.status === EVICTION_BLOCKED) blocked.push(`${ns}/${pod.metadata.name}`);
    }
    return blocked;
  }

  return {
    name: options.name ?? `kubernetes-${options.cluster}`,
    async pools() {
      return (await read()).view.pools;
    },
    async nodes() {
      return (await read()).view.nodes;
    },
    async queue() {
      return (await read()).view.demand;
    },
    async prices() {
      return [];
    },
    async launch(request: LaunchRequest): Promise<LaunchOutcome> {
      return {
        launched: [],
        failures: [
          {
            poolId: request.poolId,
            option: request.option,
            count: request.count,
            code: 'unsupported',
            message:
              'a Kubernetes cluster grows through its own autoscaler (Karpenter, cluster-autoscaler), not this connector',
          },
        ],
      };
    },
    async release(request: ReleaseRequest): Promise<ReleaseOutcome> {
      const outcome: ReleaseOutcome = { released: [], refused: [] };
      if (request.method !== 'drain') {
        return {
          released: [],
          refused: request.nodeIds.map((nodeId) => ({
            nodeId,
            reason: `method ${request.method} not offered by Kubernetes: use drain`,
          })),
        };
      }
      const { view, byId } = await read();
      for (const nodeId of request.nodeIds) {
        const node = view.nodes.find((n) => n.nodeId === nodeId);
        const kubeNode = byId.get(nodeId);
        if (!node || !kubeNode) {
          outcome.refused.push({ nodeId, reason: 'unknown node: not a GPU node of this cluster' });
        } else if (node.protected) {
          outcome.refused.push({ nodeId, reason: `protected: labelled ${keys.protected}=true` });
        } else if (!node.managed) {
          outcome.refused.push({ nodeId, reason: `not managed: lacks the label ${keys.managed}=true` });
        } else {
          try {
            const blocked = await drain(kubeNode.metadata.name);
            if (blocked.length === 0) outcome.released.push(nodeId);
            else {
              outcome.refused.push({
                nodeId,
                reason: `drain blocked by a PodDisruptionBudget for ${blocked.join(', ')}; the node stays cordoned`,
              });
            }
          } catch (error) {
            outcome.refused.push({ nodeId, reason: `provider error: ${(error as Error).message}` });
          }
        }
      }
      return outcome;
    },
    async mark(nodeId: string, mark: NodeMark) {
      const name = await nodeName(nodeId);
      await patchNode(name, {
        metadata: {
          labels: { [keys.marked]: 'true' },
          annotations: { [keys.markedAt]: mark.markedAt, [keys.markReason]: mark.reason },
        },
      });
    },
    async unmark(nodeId: string) {
      const name = await nodeName(nodeId);
      // In a merge patch, null deletes the key.
      await patchNode(name, {
        metadata: {
          labels: { [keys.marked]: null },
          annotations: { [keys.markedAt]: null, [keys.markReason]: null },
        },
      });
    },
    async utilization(fromMs: number, toMs: number) {
      return options.utilization ? options.utilization.utilization(fromMs, toMs) : [];
    },
  };
}
