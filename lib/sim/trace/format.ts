// The trace format of DESIGN.md: the usage CSV and the job CSV, their columns and a zod schema per cell.
import { z } from 'zod';
import { parseRfc3339 } from '../../domain/time.ts';

export const USAGE_COLUMNS = ['timestamp', 'pool', 'gpu_model', 'team', 'gpus_busy', 'gpus_pending'] as const;
export const USAGE_REQUIRED = ['timestamp', 'gpus_busy'] as const;
export const JOB_COLUMNS = [
  'job_id',
  'user',
  'project',
  'team',
  'submit',
  'start',
  'end',
  'gpus',
  'gpu_model',
] as const;

export type TraceKind = 'usage' | 'job';

/** One row of the usage CSV: GPUs busy (and waiting, where the queue is known) at one step. */
export interface UsageRow {
  atMs: number;
  pool?: string;
  gpuModel?: string;
  team?: string;
  gpusBusy: number;
  gpusPending?: number;
}

/** One row of the job CSV. `startMs` null = never started in the trace; `endMs` null = still running. */
export interface JobRow {
  jobId: string;
  user?: string;
  project?: string;
  team?: string;
  submitMs: number;
  startMs: number | null;
  endMs: number | null;
  gpus: number;
  gpuModel?: string;
}

const quoted = (text: string) => JSON.stringify(text);

const zTime = z.string().transform((text, ctx) => {
  try {
    return parseRfc3339(text);
  } catch {
    ctx.addIssue({
      code: 'custom',
      message: `expected an RFC 3339 time like 2026-01-31T12:00:00Z, got ${quoted(text)}`,
    });
    return z.NEVER;
  }
});

const zOptionalTime = z.string().transform((text, ctx) => {
  if (text === '') return null;
  try {
    return parseRfc3339(text);
  } catch {
    ctx.addIssue({
      code: 'custom',
      message: `expected an RFC 3339 time like 2026-01-31T12:00:00Z or nothing, got ${quoted(text)}`,
    });
    return z.NEVER;
  }
});

// A plain decimal, optionally with a short exponent: no hex (0x10), no Infinity, no 40-digit exponents.
const DECIMAL = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,3})?$/;
// More GPUs than any cluster holds: a cell above it is a unit or export mistake, not a measurement.
export const MAX_GPUS = 10_000_000;

function gpuCount(text: string): number | undefined {
  if (!DECIMAL.test(text)) return undefined;
  const n = Number(text);
  return Number.isFinite(n) && n >= 0 && n <= MAX_GPUS ? n : undefined;
}

const zGpuCount = z.string().transform((text, ctx) => {
  const n = gpuCount(text);
  if (n === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `expected a decimal number of GPUs from 0 to ${MAX_GPUS.toLocaleString('en-US')}, got ${quoted(text)}`,
    });
    return z.NEVER;
  }
  return n;
});

const zOptionalGpuCount = z.string().transform((text, ctx) => {
  if (text === '') return undefined;
  const n = gpuCount(text);
  if (n === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `expected a decimal number of GPUs from 0 to ${MAX_GPUS.toLocaleString('en-US')} or nothing, got ${quoted(text)}`,
    });
    return z.NEVER;
  }
  return n;
});

const zLabel = z
  .string()
  .max(256, 'expected at most 256 characters')
  .transform((t) => (t === '' ? undefined : t));

const zRequiredLabel = z
  .string()
  .min(1, 'expected a value, got nothing')
  .max(256, 'expected at most 256 characters');

/** The cell schema of every column; the reader validates cell by cell so that an error names its column. */
export const USAGE_CELLS = {
  timestamp: zTime,
  pool: zLabel,
  gpu_model: zLabel,
  team: zLabel,
  gpus_busy: zGpuCount,
  gpus_pending: zOptionalGpuCount,
} satisfies Record<(typeof USAGE_COLUMNS)[number], z.ZodType>;

export const JOB_CELLS = {
  job_id: zRequiredLabel,
  user: zLabel,
  project: zLabel,
  team: zLabel,
  submit: zTime,
  start: zOptionalTime,
  end: zOptionalTime,
  gpus: zGpuCount,
  gpu_model: zLabel,
} satisfies Record<(typeof JOB_COLUMNS)[number], z.ZodType>;

/** Which form a header is: a job CSV has every job column, a usage CSV has timestamp and gpus_busy. */
export function detectKind(header: readonly string[]): TraceKind | undefined {
  const names = new Set(header);
  if (JOB_COLUMNS.every((c) => names.has(c))) return 'job';
  if (USAGE_REQUIRED.every((c) => names.has(c))) return 'usage';
  return undefined;
}

/** Where a label is missing it is reported as this, so series keys stay readable. */
export const ANY_LABEL = '*';
