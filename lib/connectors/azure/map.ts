// Azure virtual machines as fleet nodes: GPUs from the size, power state from the instance view, Spot priority, and the tags that carry managed, protected and mark.
import type { VirtualMachine, VirtualMachineInstanceView } from '@azure/arm-compute';
import type { FleetNode, NodeMark, NodeState } from '../../domain/fleet.ts';
import { poolId, type PurchaseOption } from '../../domain/pool.ts';
import { toRfc3339 } from '../../domain/time.ts';
import { REGION_WIDE_ZONE, type Catalog } from '../../pricing/catalog.ts';
import { catalogOffering, VM_KEYS } from '../cloud-vm.ts';

export const AZURE_TAGS = VM_KEYS;

/** Azure tag values hold at most 256 characters. */
export const MAX_TAG_VALUE = 256;

const POWER_STATES: Record<string, NodeState> = {
  'PowerState/starting': 'pending',
  'PowerState/running': 'running',
  'PowerState/stopping': 'stopping',
  'PowerState/deallocating': 'stopping',
  'PowerState/stopped': 'stopped',
  'PowerState/deallocated': 'stopped',
};

export function stateOf(vm: VirtualMachine, view: VirtualMachineInstanceView | undefined): NodeState {
  const provisioning = vm.provisioningState ?? '';
  if (provisioning === 'Creating') return 'pending';
  if (provisioning === 'Deleting') return 'stopping';
  const power = view?.statuses?.find((s) => s.code?.startsWith('PowerState/'))?.code;
  return (power ? POWER_STATES[power] : undefined) ?? 'pending';
}

export function purchaseOptionOf(vm: VirtualMachine): PurchaseOption {
  // "Low" is the older name of Spot priority.
  if (vm.priority === 'Spot' || vm.priority === 'Low') return 'spot';
  if (vm.capacityReservation?.capacityReservationGroup?.id) return 'reserved';
  return 'on-demand';
}

/** A zonal VM's zone is its zone number ("1"); a regional VM has none and takes the region-wide zone. */
export function zoneOf(vm: Pick<VirtualMachine, 'zones'>): string {
  return vm.zones?.[0] ?? REGION_WIDE_ZONE;
}

export interface AzureVmRef {
  resourceGroup: string;
  name: string;
}

/** Resource group and name from an ARM id (…/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachines/{name}). */
export function parseVmId(id: string): AzureVmRef | undefined {
  const m = /\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Compute\/virtualMachines\/([^/]+)$/i.exec(id);
  return m ? { resourceGroup: m[1]!, name: m[2]! } : undefined;
}

export interface GpuShape {
  gpuModel: string;
  gpuCount: number;
}

/** The GPUs of a size, from the catalog; undefined for a size without GPUs or one the catalog does not know. */
export function gpuShapeOf(vm: VirtualMachine, catalog: Catalog): GpuShape | undefined {
  const offering = catalogOffering(catalog, 'azure', vm.hardwareProfile?.vmSize ?? '', vm.location);
  return offering ? { gpuModel: offering.gpuModel, gpuCount: offering.gpuCount } : undefined;
}

export function markTags(mark: NodeMark): Record<string, string> {
  return {
    [AZURE_TAGS.markedAt]: mark.markedAt,
    [AZURE_TAGS.markReason]: mark.reason.slice(0, MAX_TAG_VALUE),
  };
}

export function vmToNode(
  vm: VirtualMachine,
  view: VirtualMachineInstanceView | undefined,
  shape: GpuShape,
  seenAtMs: number,
): FleetNode {
  const tags = vm.tags ?? {};
  const zone = zoneOf(vm);
  const type = vm.hardwareProfile?.vmSize ?? 'unknown';
  const team = tags[AZURE_TAGS.team];
  const project = tags[AZURE_TAGS.project];
  const markedAt = tags[AZURE_TAGS.markedAt];
  return {
    nodeId: vm.id!,
    provider: 'azure',
    poolId: poolId('azure', vm.location, zone, type),
    region: vm.location,
    zone,
    instanceType: type,
    purchaseOption: purchaseOptionOf(vm),
    state: stateOf(vm, view),
    gpuModel: shape.gpuModel,
    gpuCount: shape.gpuCount,
    ...(vm.timeCreated ? { launchedAt: toRfc3339(vm.timeCreated.getTime()) } : {}),
    labels: { ...(team ? { team } : {}), ...(project ? { project } : {}) },
    managed: tags[AZURE_TAGS.managed] === 'true',
    protected: tags[AZURE_TAGS.protected] === 'true',
    lastSeenAt: toRfc3339(seenAtMs),
    runningJobs: [],
    ...(markedAt ? { mark: { markedAt, reason: tags[AZURE_TAGS.markReason] || 'marked' } } : {}),
  };
}
