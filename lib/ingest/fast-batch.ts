// A fast check of the usual `GPU Utilization Batch` detail; anything it is not sure of goes to the zod schema.
import { MAX_GPUS_PER_NODE } from '../domain/fleet.ts';
import { PROVIDERS } from '../domain/pool.ts';
import { daysInMonth } from '../domain/time.ts';
import {
  MAX_BOOT_ID_LENGTH,
  MAX_GPU_MEMORY_MIB,
  MAX_GPU_POWER_W,
  MAX_PID,
  type UtilizationBatch,
} from '../domain/usage.ts';

// Ingest sees hundreds of thousands of readings a second; zod costs ~5 µs a reading, this ~0.3 µs. It only
// ever answers "certainly valid" (same value as zod's output) or "ask zod", which also writes the error.

// Within these bounds (years 2000–2199, the span of a fact, and a day the month has) Date.parse never
// fails, so no call to it is needed; a leap second (:60) is left to the schema.
const RFC3339 =
  /^(2[01]\d\d)-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?Z$/;
const KEY_ID = /^[\x21-\x7e]{1,256}$/;
const PROVIDER_SET = new Set<string>(PROVIDERS);

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isId = (v: unknown): v is string => typeof v === 'string' && v.length >= 1 && v.length <= 256;
const isKeyId = (v: unknown): v is string => typeof v === 'string' && KEY_ID.test(v);
function isTime(v: unknown): boolean {
  if (typeof v !== 'string') return false;
  const m = RFC3339.exec(v);
  return m !== null && (Number(m[3]) <= 28 || Number(m[3]) <= daysInMonth(Number(m[1]), Number(m[2])));
}
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

function labelsOk(o: Record<string, unknown>): boolean {
  for (const k of LABEL_KEYS) if (k in o && !isId(o[k])) return false;
  return true;
}

function readingOk(r: unknown): boolean {
  if (!isObject(r) || !hasOnly(r, READING_KEYS)) return false;
  return (
    isTime(r.at) &&
    nullableIn(r.utilizationPct, 0, 100) &&
    nullableIn(r.memoryUsedMiB, 0, MAX_GPU_MEMORY_MIB) &&
    nullableIn(r.powerW, 0, MAX_GPU_POWER_W) &&
    nullableIn(r.temperatureC, -50, 200) &&
    (!('smActivityPct' in r) || nullableIn(r.smActivityPct, 0, 100))
  );
}

function gpuOk(g: unknown): boolean {
  if (!isObject(g) || !hasOnly(g, GPU_KEYS)) return false;
  if (
    !isInt(g.index, 0, 255) ||
    !isId(g.uuid) ||
    !isId(g.model) ||
    !nullableIn(g.memoryTotalMiB, 0, MAX_GPU_MEMORY_MIB)
  )
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
      !isInt(p.pid, 0, MAX_PID) ||
      !nullableIn(p.usedMemoryMiB, 0, MAX_GPU_MEMORY_MIB) ||
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
    !isKeyId(node.nodeId) ||
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
    !isKeyId(detail.bootId) ||
    detail.bootId.length > MAX_BOOT_ID_LENGTH ||
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
  if (!Array.isArray(detail.gpus) || detail.gpus.length > MAX_GPUS_PER_NODE) return false;
  for (const g of detail.gpus) if (!gpuOk(g)) return false;
  return true;
}
