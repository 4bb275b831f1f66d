// A fast check of the usual `GPU Utilization Batch` detail; anything it is not sure of goes to the zod schema.
import { PROVIDERS } from '../domain/pool.ts';
import type { UtilizationBatch } from '../domain/usage.ts';

// Ingest sees hundreds of thousands of readings a second; zod costs ~5 µs a reading, this ~0.3 µs. It only
// ever answers "certainly valid" (same value as zod's output) or "ask zod", which also writes the error.

// Within these bounds Date.parse never fails (checked for every month and day), so no call to it is needed;
// a leap second (:60) is left to the schema.
const RFC3339 = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?Z$/;
const PROVIDER_SET = new Set<string>(PROVIDERS);

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isId = (v: unknown): v is string => typeof v === 'string' && v.length >= 1 && v.length <= 256;
const isTime = (v: unknown): boolean => typeof v === 'string' && RFC3339.test(v);
const isFiniteIn = (v: unknown, min: number, max: number) =>
  typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max;
const nullableIn = (v: unknown, min: number, max: number) => v === null || isFiniteIn(v, min, max);
const isInt = (v: unknown, min: number, max: number) =>
  Number.isInteger(v) && (v as number) >= min && (v as number) <= max;

function hasOnly(o: Record<string, unknown>, allowed: ReadonlySet<string>): boolean {
  for (const k in o) if (!allowed.has(k)) return false;
  return true;
}

const BATCH_KEYS = new Set([
  'schemaVersion',
  'node',
  'bootId',
  'windowStart',
  'sampleIntervalSeconds',
  'gpus',
  'lastLoginAt',
]);
const NODE_KEYS = new Set(['nodeId', 'provider', 'region', 'zone', 'instanceType', 'poolId', 'labels']);
const LABEL_KEYS = new Set(['jobId', 'user', 'project', 'team']);
const GPU_KEYS = new Set(['index', 'uuid', 'model', 'memoryTotalMiB', 'readings', 'processes']);
const READING_KEYS = new Set([
  'at',
  'utilizationPct',
  'memoryUsedMiB',
  'powerW',
  'temperatureC',
  'smActivityPct',
]);
const PROCESS_KEYS = new Set(['pid', 'usedMemoryMiB', 'jobId', 'user', 'project', 'team']);
const MAX = Number.MAX_VALUE;

function labelsOk(o: Record<string, unknown>): boolean {
  for (const k of LABEL_KEYS) if (k in o && !isId(o[k])) return false;
  return true;
}

function readingOk(r: unknown): boolean {
  if (!isObject(r) || !hasOnly(r, READING_KEYS)) return false;
  return (
    isTime(r.at) &&
    nullableIn(r.utilizationPct, 0, 100) &&
    nullableIn(r.memoryUsedMiB, 0, MAX) &&
    nullableIn(r.powerW, 0, MAX) &&
    nullableIn(r.temperatureC, -50, 200) &&
    (!('smActivityPct' in r) || nullableIn(r.smActivityPct, 0, 100))
  );
}

function gpuOk(g: unknown): boolean {
  if (!isObject(g) || !hasOnly(g, GPU_KEYS)) return false;
  if (!isInt(g.index, 0, 255) || !isId(g.uuid) || !isId(g.model) || !nullableIn(g.memoryTotalMiB, 0, MAX))
    return false;
  const { readings, processes } = g;
  if (
    !Array.isArray(readings) ||
    readings.length > 400 ||
    !Array.isArray(processes) ||
    processes.length > 256
  )
    return false;
  for (const r of readings) if (!readingOk(r)) return false;
  for (const p of processes) {
    if (
      !isObject(p) ||
      !hasOnly(p, PROCESS_KEYS) ||
      !isInt(p.pid, 0, MAX) ||
      !nullableIn(p.usedMemoryMiB, 0, MAX) ||
      !labelsOk(p)
    )
      return false;
  }
  return true;
}

/**
 * True only when `detail` is a batch zod would accept unchanged (no unknown keys, no defaults to fill).
 * False means "not sure": validate with the schema.
 */
export function isCertainlyValidBatch(detail: unknown): detail is UtilizationBatch {
  if (!isObject(detail) || !hasOnly(detail, BATCH_KEYS)) return false;
  const { node } = detail;
  if (detail.schemaVersion !== '1' || !isObject(node) || !hasOnly(node, NODE_KEYS)) return false;
  if (
    !isId(node.nodeId) ||
    !PROVIDER_SET.has(node.provider as string) ||
    !isId(node.region) ||
    !isId(node.zone)
  )
    return false;
  if (
    !isId(node.instanceType) ||
    !isId(node.poolId) ||
    !isObject(node.labels) ||
    !hasOnly(node.labels, LABEL_KEYS) ||
    !labelsOk(node.labels)
  )
    return false;
  if (
    !isId(detail.bootId) ||
    !isTime(detail.windowStart) ||
    !isFiniteIn(detail.sampleIntervalSeconds, 1, 300)
  )
    return false;
  if (
    'lastLoginAt' in detail &&
    detail.lastLoginAt !== null &&
    detail.lastLoginAt !== undefined &&
    !isTime(detail.lastLoginAt)
  )
    return false;
  if (!Array.isArray(detail.gpus) || detail.gpus.length > 64) return false;
  for (const g of detail.gpus) if (!gpuOk(g)) return false;
  return true;
}
