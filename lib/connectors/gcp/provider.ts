// Compute Engine as a CapacityProvider: managed GPU VMs, spot and on-demand inserts from an instance template, stop / delete, marks as labels.
import type { InstancesClient, protos, ZoneOperationsClient } from '@google-cloud/compute';
import type { FleetNode, NodeMark } from '../../domain/fleet.ts';
import type { Pool } from '../../domain/pool.ts';
import {
  NodeNotFoundError,
  type CapacityProvider,
  type Clock,
  type LaunchOutcome,
  type LaunchRequest,
  type ReleaseOutcome,
  type ReleaseRequest,
} from '../../domain/ports.ts';
import { loadCatalog, type Catalog } from '../../pricing/catalog.ts';
import {
  launchOneByOne,
  protectedByLabel,
  regionQuotes,
  releaseGuarded,
  vmNameSuffix,
  zonalPools,
} from '../cloud-vm.ts';
import { classifyGcpError, describeGcpError, GcpOperationError, isGcpNotFound } from './errors.ts';
import {
  GCP_KEYS,
  gpuShapeOf,
  instanceToNode,
  machineRequest,
  markLabelValue,
  parseGcpNodeId,
  type GcpInstance,
} from './map.ts';

type Operation = protos.google.cloud.compute.v1.IOperation;

export interface GcpProviderOptions {
  instances: InstancesClient;
  zoneOperations: ZoneOperationsClient;
  project: string;
  /** The region this fleet launches in; listing covers every zone of the project. */
  region: string;
  /** Zones to launch in: one pool per zone × machine type. */
  zones: readonly string[];
  /** Machine types with GPUs, as the catalog names them ("a3-highgpu-8g", "n1-standard-8+1xT4"). */
  machineTypes: readonly string[];
  /** The instance template (boot image, network, service account) every launch starts from. */
  instanceTemplate: string;
  /** VM names are this prefix and a random suffix. */
  namePrefix?: string;
  catalog?: Catalog;
  name?: string;
  clock?: Clock;
}

const DONE = 'DONE';
/** A label value holds at most 63 lowercase letters, digits, dashes and underscores. */
const MAX_LABEL_VALUE = 63;

function labelValue(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .slice(0, MAX_LABEL_VALUE);
}

/** "us-central1-a" → "us-central1". */
function regionOfZone(zone: string): string {
  return zone.replace(/-[a-z]$/, '');
}

export function createGcpProvider(options: GcpProviderOptions): CapacityProvider {
  const { instances, zoneOperations, project, region } = options;
  const catalog = options.catalog ?? loadCatalog();
  const clock = options.clock ?? { now: () => Date.now() };
  const prefix = options.namePrefix ?? 'gpu-opt';
  const { pools: poolList, unknownTypes } = zonalPools(
    catalog,
    'gcp',
    region,
    options.zones,
    options.machineTypes,
  );
  if (unknownTypes.length > 0) {
    throw new Error(`gcp: machine types not in the catalog (no GPU shape known): ${unknownTypes.join(', ')}`);
  }
  const pools = new Map(poolList.map((p) => [p.id, p]));

  /** Waits for a zone operation to finish; an operation that finished with errors throws its first one. */
  async function settle(started: Operation | null | undefined, zone: string): Promise<void> {
    let op = started;
    while (op && op.status !== DONE) {
      // operations.wait returns when the operation is done or after about two minutes, whichever is first.
      [op] = await zoneOperations.wait({ project, zone, operation: op.name ?? '' });
    }
    const first = op?.error?.errors?.[0];
    if (first) throw new GcpOperationError(first.code ?? 'UNKNOWN', first.message ?? 'operation failed');
  }

  async function started(call: Promise<readonly unknown[]>, zone: string): Promise<void> {
    const [lro] = await call;
    await settle((lro as { latestResponse?: Operation }).latestResponse, zone);
  }

  function toNode(instance: GcpInstance): FleetNode | undefined {
    const zoneRegion = regionOfZone((instance.zone ?? '').split('/').pop() ?? region);
    const shape = gpuShapeOf(instance, catalog, zoneRegion);
    return shape ? instanceToNode(instance, project, zoneRegion, shape, clock.now()) : undefined;
  }

  async function listNodes(): Promise<FleetNode[]> {
    const nodes: FleetNode[] = [];
    const pages = instances.aggregatedListAsync(
      { project, filter: `labels.${GCP_KEYS.managed} = "true"` },
      { autoPaginate: false },
    );
    for await (const [, scoped] of pages) {
      for (const instance of scoped.instances ?? []) {
        const node = toNode(instance);
        if (node) nodes.push(node);
      }
    }
    return nodes;
  }

  /** The instance behind a node id, if it is a GPU VM of this project; undefined when there is none. */
  async function findInstance(nodeId: string): Promise<GcpInstance | undefined> {
    const ref = parseGcpNodeId(nodeId);
    if (!ref || ref.project !== project) return undefined;
    try {
      const [instance] = await instances.get({ project, zone: ref.zone, instance: ref.name });
      return toNode(instance) ? instance : undefined;
    } catch (error) {
      if (isGcpNotFound(error)) return undefined;
      throw error;
    }
  }

  async function requireManaged(nodeId: string): Promise<GcpInstance> {
    const instance = await findInstance(nodeId);
    if (!instance || instance.labels?.[GCP_KEYS.managed] !== 'true') throw new NodeNotFoundError(nodeId);
    return instance;
  }

  function launchResource(request: LaunchRequest, pool: Pool, name: string): GcpInstance {
    const { machineType, accelerator } = machineRequest(pool.instanceType);
    const spot = request.option === 'spot';
    return {
      name,
      machineType: `zones/${pool.zone}/machineTypes/${machineType}`,
      labels: {
        [GCP_KEYS.managed]: 'true',
        ...(request.labels?.team ? { [GCP_KEYS.team]: labelValue(request.labels.team) } : {}),
        ...(request.labels?.project ? { [GCP_KEYS.project]: labelValue(request.labels.project) } : {}),
      },
      ...(accelerator
        ? {
            guestAccelerators: [
              {
                acceleratorType: `zones/${pool.zone}/acceleratorTypes/${accelerator.type}`,
                acceleratorCount: accelerator.count,
              },
            ],
          }
        : {}),
      // GPU VMs cannot live-migrate, so host maintenance stops them; a spot VM is deleted when reclaimed.
      scheduling: spot
        ? {
            provisioningModel: 'SPOT',
            instanceTerminationAction: 'DELETE',
            onHostMaintenance: 'TERMINATE',
            automaticRestart: false,
          }
        : { provisioningModel: 'STANDARD', onHostMaintenance: 'TERMINATE', automaticRestart: true },
    };
  }

  async function setMark(nodeId: string, mark: NodeMark | undefined): Promise<void> {
    const instance = await requireManaged(nodeId);
    const { zone, name } = parseGcpNodeId(nodeId)!;
    const labels = { ...(instance.labels ?? {}) };
    delete labels[GCP_KEYS.markedAt];
    if (mark) labels[GCP_KEYS.markedAt] = markLabelValue(mark);
    await started(
      instances.setLabels({
        project,
        zone,
        instance: name,
        instancesSetLabelsRequestResource: { labelFingerprint: instance.labelFingerprint, labels },
      }),
      zone,
    );
    const items = (instance.metadata?.items ?? []).filter((i) => i.key !== GCP_KEYS.markReason);
    if (mark) items.push({ key: GCP_KEYS.markReason, value: mark.reason });
    await started(
      instances.setMetadata({
        project,
        zone,
        instance: name,
        metadataResource: { fingerprint: instance.metadata?.fingerprint, items },
      }),
      zone,
    );
  }

  async function createOne(request: LaunchRequest, pool: Pool): Promise<FleetNode> {
    const name = `${prefix}-${vmNameSuffix()}`;
    await started(
      instances.insert({
        project,
        zone: pool.zone,
        sourceInstanceTemplate: options.instanceTemplate,
        requestId: crypto.randomUUID(),
        instanceResource: launchResource(request, pool, name),
      }),
      pool.zone,
    );
    const [instance] = await instances.get({ project, zone: pool.zone, instance: name });
    const node = toNode(instance);
    if (!node) throw new Error(`launched ${name} but it shows no GPUs`);
    return node;
  }

  return {
    name: options.name ?? `gcp-${project}-${region}`,
    async pools() {
      return [...pools.values()].map((p) => ({ ...p }));
    },
    nodes: listNodes,
    async prices() {
      return regionQuotes(catalog, 'gcp', region, options.machineTypes);
    },
    launch: (request: LaunchRequest): Promise<LaunchOutcome> =>
      launchOneByOne(request, pools, 'Compute Engine', (pool) => createOne(request, pool), classifyGcpError),
    release: (request: ReleaseRequest): Promise<ReleaseOutcome> =>
      releaseGuarded(
        request,
        'Compute Engine',
        async (nodeId) => {
          const instance = await findInstance(nodeId);
          if (!instance) return undefined;
          // Deletion protection is Compute Engine's own guard; honour it for a delete.
          const deletionProtected = request.method === 'terminate' && instance.deletionProtection === true;
          return {
            managed: instance.labels?.[GCP_KEYS.managed] === 'true',
            protectedBy: deletionProtected ? 'deletion protection is on' : protectedByLabel(instance.labels),
          };
        },
        async (method, nodeId) => {
          const { zone, name } = parseGcpNodeId(nodeId)!;
          const target = { project, zone, instance: name, requestId: crypto.randomUUID() };
          await started(method === 'terminate' ? instances.delete(target) : instances.stop(target), zone);
        },
        describeGcpError,
      ),
    mark: (nodeId, mark) => setMark(nodeId, mark),
    unmark: (nodeId) => setMark(nodeId, undefined),
    async utilization() {
      // Compute Engine reports no GPU utilization; the agent or a DCGM exporter on the VM does.
      return [];
    },
    async queue() {
      return [];
    },
  };
}
