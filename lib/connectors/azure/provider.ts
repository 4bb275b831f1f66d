// Azure as a CapacityProvider: managed GPU VMs of one resource group, Spot and Regular creates, deallocate / delete, marks as tags.
import type { ComputeManagementClient, ImageReference, VirtualMachine } from '@azure/arm-compute';
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
import { loadCatalog, REGION_WIDE_ZONE, type Catalog } from '../../pricing/catalog.ts';
import {
  launchOneByOne,
  protectedByLabel,
  regionQuotes,
  releaseGuarded,
  vmNameSuffix,
  zonalPools,
} from '../cloud-vm.ts';
import { classifyAzureError, describeAzureError, isAzureNotFound } from './errors.ts';
import { AZURE_TAGS, gpuShapeOf, markTags, MAX_TAG_VALUE, parseVmId, vmToNode } from './map.ts';

/** What every VM is created from: the image, the login and the subnet its NIC joins. */
export interface AzureVmTemplate {
  image: ImageReference;
  adminUsername: string;
  sshPublicKey: string;
  /** ARM id of the subnet (…/virtualNetworks/{vnet}/subnets/{subnet}). */
  subnetId: string;
  osDiskSizeGiB?: number;
}

export interface AzureProviderOptions {
  compute: ComputeManagementClient;
  resourceGroup: string;
  /** The region (location) the fleet launches in. */
  location: string;
  /** Availability zones ("1", "2", "3") to launch in; none = regional VMs (zone REGION_WIDE_ZONE). */
  zones?: readonly string[];
  /** GPU sizes, as the catalog names them ("Standard_NC24ads_A100_v4"). */
  vmSizes: readonly string[];
  template: AzureVmTemplate;
  namePrefix?: string;
  catalog?: Catalog;
  name?: string;
  clock?: Clock;
  /** Delay between polls of a long-running operation; the SDK's default (2 s) when absent. */
  pollIntervalMs?: number;
}

/** How many instance views are read at once while listing. */
const INSTANCE_VIEW_CONCURRENCY = 8;

export function createAzureProvider(options: AzureProviderOptions): CapacityProvider {
  const { compute, resourceGroup, location } = options;
  const vms = compute.virtualMachines;
  const catalog = options.catalog ?? loadCatalog();
  const clock = options.clock ?? { now: () => Date.now() };
  const prefix = options.namePrefix ?? 'gpu-opt';
  const poll = options.pollIntervalMs === undefined ? {} : { updateIntervalInMs: options.pollIntervalMs };
  const zones = options.zones?.length ? options.zones : [REGION_WIDE_ZONE];
  const { pools: poolList, unknownTypes } = zonalPools(catalog, 'azure', location, zones, options.vmSizes);
  if (unknownTypes.length > 0) {
    throw new Error(`azure: VM sizes not in the catalog (no GPU shape known): ${unknownTypes.join(', ')}`);
  }
  const pools = new Map(poolList.map((p) => [p.id, p]));

  /** The node of a GPU VM, its power state read from the instance view; undefined for a VM without GPUs. */
  async function toNode(vm: VirtualMachine): Promise<FleetNode | undefined> {
    const shape = gpuShapeOf(vm, catalog);
    if (!shape || !vm.id) return undefined;
    const ref = parseVmId(vm.id);
    const view = ref ? await vms.instanceView(ref.resourceGroup, ref.name) : undefined;
    return vmToNode(vm, view, shape, clock.now());
  }

  async function listNodes(): Promise<FleetNode[]> {
    const managed: VirtualMachine[] = [];
    // The VM list has no tag filter; the managed tag is checked here.
    for await (const vm of vms.list(resourceGroup)) {
      if (vm.tags?.[AZURE_TAGS.managed] === 'true') managed.push(vm);
    }
    const nodes: FleetNode[] = [];
    for (let k = 0; k < managed.length; k += INSTANCE_VIEW_CONCURRENCY) {
      const batch = await Promise.all(managed.slice(k, k + INSTANCE_VIEW_CONCURRENCY).map(toNode));
      nodes.push(...batch.filter((n): n is FleetNode => !!n));
    }
    return nodes;
  }

  /** The GPU VM behind a node id, if there is one in this subscription; undefined when there is none. */
  async function findVm(nodeId: string): Promise<VirtualMachine | undefined> {
    const ref = parseVmId(nodeId);
    if (!ref) return undefined;
    try {
      const vm = await vms.get(ref.resourceGroup, ref.name);
      return gpuShapeOf(vm, catalog) ? vm : undefined;
    } catch (error) {
      if (isAzureNotFound(error)) return undefined;
      throw error;
    }
  }

  function createParameters(request: LaunchRequest, pool: Pool, name: string): VirtualMachine {
    const t = options.template;
    const spot = request.option === 'spot';
    return {
      location,
      ...(pool.zone === REGION_WIDE_ZONE ? {} : { zones: [pool.zone] }),
      tags: {
        [AZURE_TAGS.managed]: 'true',
        ...(request.labels?.team ? { [AZURE_TAGS.team]: request.labels.team.slice(0, MAX_TAG_VALUE) } : {}),
        ...(request.labels?.project
          ? { [AZURE_TAGS.project]: request.labels.project.slice(0, MAX_TAG_VALUE) }
          : {}),
      },
      hardwareProfile: { vmSize: pool.instanceType },
      // Spot: evicted VMs are deleted (not kept deallocated, which would hold the disk); maxPrice -1 = pay up to on-demand.
      ...(spot
        ? { priority: 'Spot', evictionPolicy: 'Delete', billingProfile: { maxPrice: -1 } }
        : { priority: 'Regular' }),
      storageProfile: {
        imageReference: t.image,
        osDisk: {
          createOption: 'FromImage',
          deleteOption: 'Delete',
          managedDisk: { storageAccountType: 'Premium_LRS' },
          ...(t.osDiskSizeGiB ? { diskSizeGB: t.osDiskSizeGiB } : {}),
        },
      },
      osProfile: {
        computerName: name,
        adminUsername: t.adminUsername,
        linuxConfiguration: {
          disablePasswordAuthentication: true,
          ssh: {
            publicKeys: [{ path: `/home/${t.adminUsername}/.ssh/authorized_keys`, keyData: t.sshPublicKey }],
          },
        },
      },
      // The VM creates (and on delete removes) its own NIC, so a launch needs no separate network call.
      networkProfile: {
        networkApiVersion: '2020-11-01',
        networkInterfaceConfigurations: [
          {
            name: `${name}-nic`,
            primary: true,
            deleteOption: 'Delete',
            ipConfigurations: [{ name: 'ipconfig1', subnet: { id: t.subnetId } }],
          },
        ],
      },
    };
  }

  async function createOne(request: LaunchRequest, pool: Pool): Promise<FleetNode> {
    const name = `${prefix}-${vmNameSuffix()}`;
    let vm: VirtualMachine;
    try {
      vm = await vms.beginCreateOrUpdateAndWait(
        resourceGroup,
        name,
        createParameters(request, pool, name),
        poll,
      );
    } catch (error) {
      // A failed allocation leaves the VM resource behind in state Failed: remove it, or it lingers.
      await vms.beginDeleteAndWait(resourceGroup, name, poll).catch(() => undefined);
      throw error;
    }
    const node = await toNode(vm);
    if (!node) throw new Error(`created ${name} but its size shows no GPUs`);
    return node;
  }

  async function setTags(nodeId: string, mark: NodeMark | undefined): Promise<void> {
    const vm = await findVm(nodeId);
    if (!vm || vm.tags?.[AZURE_TAGS.managed] !== 'true') throw new NodeNotFoundError(nodeId);
    const { resourceGroup: group, name } = parseVmId(nodeId)!;
    const tags = { ...(vm.tags ?? {}) };
    delete tags[AZURE_TAGS.markedAt];
    delete tags[AZURE_TAGS.markReason];
    // A PATCH with tags replaces the whole tag set, so the others are sent back with it.
    await vms.beginUpdateAndWait(group, name, { tags: { ...tags, ...(mark ? markTags(mark) : {}) } }, poll);
  }

  return {
    name: options.name ?? `azure-${resourceGroup}-${location}`,
    async pools() {
      return [...pools.values()].map((p) => ({ ...p }));
    },
    nodes: listNodes,
    async prices() {
      return regionQuotes(catalog, 'azure', location, options.vmSizes);
    },
    launch: (request: LaunchRequest): Promise<LaunchOutcome> =>
      launchOneByOne(request, pools, 'Azure', (pool) => createOne(request, pool), classifyAzureError),
    release: (request: ReleaseRequest): Promise<ReleaseOutcome> =>
      releaseGuarded(
        request,
        'Azure',
        async (nodeId) => {
          const vm = await findVm(nodeId);
          return (
            vm && {
              managed: vm.tags?.[AZURE_TAGS.managed] === 'true',
              protectedBy: protectedByLabel(vm.tags),
            }
          );
        },
        async (method, nodeId) => {
          const { resourceGroup: group, name } = parseVmId(nodeId)!;
          // Stop means deallocate: a VM stopped without deallocation is still billed for its compute.
          if (method === 'terminate') await vms.beginDeleteAndWait(group, name, poll);
          else await vms.beginDeallocateAndWait(group, name, poll);
        },
        describeAzureError,
      ),
    mark: (nodeId, mark) => setTags(nodeId, mark),
    unmark: (nodeId) => setTags(nodeId, undefined),
    async utilization() {
      // Azure Monitor has no GPU utilization metric for VMs; the agent or a DCGM exporter on the VM reports it.
      return [];
    },
    async queue() {
      return [];
    },
  };
}
