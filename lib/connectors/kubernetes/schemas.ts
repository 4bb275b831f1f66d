// zod schemas of the Kubernetes objects the connector reads: Node and Pod lists (core/v1), only the fields it uses.
import { z } from 'zod';

const zStringMap = z
  .record(z.string(), z.string())
  .nullish()
  .transform((v) => v ?? {});

const zMeta = z.object({
  name: z.string().min(1),
  namespace: z.string().optional(),
  labels: zStringMap,
  annotations: zStringMap,
  creationTimestamp: z.string().nullish(),
  ownerReferences: z.array(z.object({ kind: z.string(), name: z.string() })).nullish(),
});

export const zKubeNode = z.object({
  metadata: zMeta,
  spec: z.object({ unschedulable: z.boolean().nullish(), providerID: z.string().nullish() }).nullish(),
  status: z
    .object({
      capacity: zStringMap,
      allocatable: zStringMap,
      conditions: z.array(z.object({ type: z.string(), status: z.string() })).nullish(),
    })
    .nullish(),
});
export type KubeNode = z.output<typeof zKubeNode>;

const zResources = z
  .object({ requests: zStringMap, limits: zStringMap })
  .nullish()
  .transform((v) => v ?? { requests: {}, limits: {} });

export const zKubePod = z.object({
  metadata: zMeta,
  spec: z.object({
    nodeName: z.string().nullish(),
    containers: z.array(z.object({ name: z.string(), resources: zResources })),
  }),
  status: z.object({ phase: z.string().nullish() }).nullish(),
});
export type KubePod = z.output<typeof zKubePod>;

const zList = <T extends z.ZodType>(item: T) =>
  z.object({
    kind: z.string().optional(),
    items: z.array(item),
    metadata: z.object({ continue: z.string().nullish() }).nullish(),
  });

export const zKubeNodeList = zList(zKubeNode);
export const zKubePodList = zList(zKubePod);

/** A Status answer (errors, and the 429 of an eviction a PodDisruptionBudget blocks). */
export const zKubeStatus = z.object({
  kind: z.literal('Status'),
  message: z.string().optional(),
  reason: z.string().optional(),
  code: z.number().optional(),
});
