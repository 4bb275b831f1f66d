// One place that says what an EC2 error code means for a run: no capacity, a limit, not found, protected, or a real error.
import type { LaunchFailureCode } from '../../domain/ports.ts';

/** Codes that mean "this pool has no capacity for you right now": try the next pool (Karpenter's list, plus spot ones). */
export const UNFULFILLABLE_CAPACITY_CODES: ReadonlySet<string> = new Set([
  'InsufficientInstanceCapacity',
  'InsufficientHostCapacity',
  'InsufficientReservedInstanceCapacity',
  'InsufficientCapacityOnOutpost',
  'InsufficientCapacity',
  'UnfulfillableCapacity',
  'Unsupported',
  'InsufficientFreeAddressesInSubnet',
  'SpotMaxPriceTooLow',
  'capacity-not-available',
  'price-too-low',
]);

/** Account or service limits: waiting or another pool will not help until someone raises them. */
export const LIMIT_CODES: ReadonlySet<string> = new Set([
  'MaxSpotInstanceCountExceeded',
  'VcpuLimitExceeded',
  'InstanceLimitExceeded',
  'MaxFleetCountExceeded',
  'RequestLimitExceeded',
  'PendingVerification',
]);

const NOT_FOUND_CODES: ReadonlySet<string> = new Set([
  'InvalidInstanceID.NotFound',
  'InvalidInstanceID.Malformed',
  'InvalidLaunchTemplateId.NotFound',
  'InvalidLaunchTemplateName.NotFoundException',
]);

/** EC2 refuses to stop or terminate an instance with stop or termination protection with this code. */
const PROTECTION_CODES: ReadonlySet<string> = new Set(['OperationNotPermitted']);

/** The code of an SDK error (its name) or of a CreateFleet error entry. */
export function ec2ErrorCode(error: unknown): string {
  if (typeof error === 'string') return error;
  const e = error as { name?: string; Code?: string; ErrorCode?: string } | undefined;
  return e?.ErrorCode ?? e?.Code ?? e?.name ?? 'Unknown';
}

export function isUnfulfillableCapacity(error: unknown): boolean {
  return UNFULFILLABLE_CAPACITY_CODES.has(ec2ErrorCode(error));
}

export function isNotFound(error: unknown): boolean {
  return NOT_FOUND_CODES.has(ec2ErrorCode(error));
}

export function isProtectionRefusal(error: unknown): boolean {
  return PROTECTION_CODES.has(ec2ErrorCode(error));
}

/** What a failed launch reports, so a run moves to the next pool instead of failing. */
export function launchFailureCode(error: unknown): LaunchFailureCode {
  const code = ec2ErrorCode(error);
  if (code === 'Unsupported') return 'unsupported';
  if (UNFULFILLABLE_CAPACITY_CODES.has(code)) return 'insufficient-capacity';
  if (LIMIT_CODES.has(code)) return 'limit-exceeded';
  return 'error';
}
