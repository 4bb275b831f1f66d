// One place that says what a Compute Engine error means for a run: no capacity in the zone, a quota, not found, or a real error.
import type { LaunchFailureCode } from '../../domain/ports.ts';
import type { ClassifiedError } from '../cloud-vm.ts';

/** Operation error codes that mean "this zone has no capacity for you now": try the next pool. */
export const GCP_CAPACITY_CODES: ReadonlySet<string> = new Set([
  'ZONE_RESOURCE_POOL_EXHAUSTED',
  'ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS',
  'RESOURCE_POOL_EXHAUSTED',
  'insufficientCapacity',
]);

/** Quotas and rate limits: another zone of the region will not help until someone raises them. */
export const GCP_LIMIT_CODES: ReadonlySet<string> = new Set([
  'QUOTA_EXCEEDED',
  'quotaExceeded',
  'rateLimitExceeded',
]);

export const GCP_UNSUPPORTED_CODES: ReadonlySet<string> = new Set([
  'UNSUPPORTED_OPERATION',
  'RESOURCE_NOT_FOUND',
]);

/** gRPC status codes the REST transport maps HTTP statuses to (google-gax rpcCodeFromHttpStatusCode). */
const GRPC_NOT_FOUND = 5;
const GRPC_RESOURCE_EXHAUSTED = 8;

/** A zone operation that finished with errors: Compute Engine reports capacity failures this way, after insert returned 200. */
export class GcpOperationError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'GcpOperationError';
  }
}

/**
 * The code of a failure. Operation errors carry a code (ZONE_RESOURCE_POOL_EXHAUSTED, QUOTA_EXCEEDED); an
 * HTTP error reaches us through google-gax as a message and a gRPC code only (the JSON `reason` is dropped),
 * so the message is read for the phrases the API reference documents.
 */
export function gcpErrorCode(error: unknown): string {
  if (error instanceof GcpOperationError) return error.code;
  const e = error as { code?: unknown; message?: unknown } | undefined;
  const message = typeof e?.message === 'string' ? e.message : '';
  const named =
    /\b(ZONE_RESOURCE_POOL_EXHAUSTED(?:_WITH_DETAILS)?|RESOURCE_POOL_EXHAUSTED|QUOTA_EXCEEDED)\b/.exec(
      message,
    );
  if (named) return named[1]!;
  if (/does not have enough resources available/i.test(message)) return 'ZONE_RESOURCE_POOL_EXHAUSTED';
  if (/^Quota '[^']+' exceeded/i.test(message)) return 'quotaExceeded';
  if (/rate limit exceeded/i.test(message)) return 'rateLimitExceeded';
  if (e?.code === GRPC_NOT_FOUND) return 'RESOURCE_NOT_FOUND';
  if (e?.code === GRPC_RESOURCE_EXHAUSTED) return 'rateLimitExceeded';
  return typeof e?.code === 'number' ? `grpc-${e.code}` : 'Unknown';
}

export function isGcpNotFound(error: unknown): boolean {
  return gcpErrorCode(error) === 'RESOURCE_NOT_FOUND';
}

export function gcpLaunchFailureCode(error: unknown): LaunchFailureCode {
  const code = gcpErrorCode(error);
  if (GCP_CAPACITY_CODES.has(code)) return 'insufficient-capacity';
  if (GCP_LIMIT_CODES.has(code)) return 'limit-exceeded';
  if (GCP_UNSUPPORTED_CODES.has(code)) return 'unsupported';
  return 'error';
}

export function describeGcpError(error: unknown): string {
  return `${gcpErrorCode(error)}: ${(error as Error | undefined)?.message ?? String(error)}`;
}

export function classifyGcpError(error: unknown): ClassifiedError {
  return { code: gcpLaunchFailureCode(error), message: describeGcpError(error) };
}
