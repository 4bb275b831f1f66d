// Kubernetes GPU nodes and pods as gpu-feature-discovery and the scheduler show them, for shared-GPU tests.
import type { KubeNode, KubePod } from '../../lib/connectors/kubernetes/schemas.ts';

/** A ready node advertising `advertised` nvidia.com/gpu devices, with GFD's labels; on AWS when `cloud` is set. */
export function gpuNode(
  name: string,
  labels: Record<string, string>,
  advertised: number,
  cloud = false,
): KubeNode {
  return {
    metadata: {
      name,
      creationTimestamp: '2026-03-01T00:00:00Z',
      labels: { 'node.kubernetes.io/instance-type': `${name}-type`, ...labels },
      annotations: {},
    },
    spec: cloud ? { providerID: `aws:///us-east-1a/i-${name}` } : {},
    status: {
      capacity: { 'nvidia.com/gpu': String(advertised) },
      allocatable: { 'nvidia.com/gpu': String(advertised) },
      conditions: [{ type: 'Ready', status: 'True' }],
    },
  } as unknown as KubeNode;
}

/** A running pod of `team` holding `gpus` devices on a node. */
export function gpuPod(name: string, on: string, gpus: number, team: string): KubePod {
  return {
    metadata: { name, namespace: team, labels: { team }, annotations: {} },
    spec: {
      nodeName: on,
      containers: [{ resources: { limits: { 'nvidia.com/gpu': String(gpus) }, requests: {} } }],
    },
    status: { phase: 'Running' },
  } as unknown as KubePod;
}
