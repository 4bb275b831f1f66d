// One place that says what an Azure Resource Manager error means for a run: no capacity, a quota, not found, or a real error.
import type { LaunchFailureCode } from '../../domain/ports.ts';
import type { ClassifiedError } from '../cloud-vm.ts';

/** Codes that mean "this size has no capacity here now": try the next pool (zone, size or region). */
export const AZURE_CAPACITY_CODES: ReadonlySet<string> = new Set([
  'AllocationFailed',
  'ZonalAllocationFailed',
  'OverconstrainedAllocationRequest',
  'OverconstrainedZonalAllocationRequest',
  'SkuNotAvailable',
  'SpotMaxPriceTooLow',
]);

/** Quotas and throttling: another zone will not help until someone raises them. */
export const AZURE_LIMIT_CODES: ReadonlySet<string> = new Set([
  'QuotaExceeded',
  'OperationNotAllowedQuota',
  'TooManyRequests',
  'SubscriptionRequestsThrottled',
]);

const NOT_FOUND_CODES: ReadonlySet<string> = new Set([
  'ResourceNotFound',
  'NotFound',
  'ResourceGroupNotFound',
]);

/**
 * The code of a failure. A synchronous refusal is a RestError with `code`; a long-running operation that
 * failed reaches us as a plain Error "The long-running operation has failed. <code>. <message>", so the code
 * is read from there. OperationNotAllowed is Azure's code for many refusals; only a quota one is a limit.
 */
export function azureErrorCode(error: unknown): string {
  const e = error as { code?: unknown; statusCode?: unknown; message?: unknown } | undefined;
  const message = typeof e?.message === 'string' ? e.message : '';
  let code = typeof e?.code === 'string' ? e.code : undefined;
  code ??= /long-running operation has failed\.\s*(\w+)\./.exec(message)?.[1];
  if (code === 'OperationNotAllowed' && /quota/i.test(message)) return 'OperationNotAllowedQuota';
  if (code) return code;
  if (e?.statusCode === 404) return 'NotFound';
  return 'Unknown';
}

export function isAzureNotFound(error: unknown): boolean {
  return NOT_FOUND_CODES.has(azureErrorCode(error));
}

export function azureLaunchFailureCode(error: unknown): LaunchFailureCode {
  const code = azureErrorCode(error);
  if (AZURE_CAPACITY_CODES.has(code)) return 'insufficient-capacity';
  if (AZURE_LIMIT_CODES.has(code)) return 'limit-exceeded';
  if (NOT_FOUND_CODES.has(code) || code === 'InvalidParameter') return 'unsupported';
  return 'error';
}

export function describeAzureError(error: unknown): string {
  return `${azureErrorCode(error)}: ${(error as Error | undefined)?.message ?? String(error)}`;
}

export function classifyAzureError(error: unknown): ClassifiedError {
  return { code: azureLaunchFailureCode(error), message: describeAzureError(error) };
}
