// zod schemas of the slurmrestd responses the connector reads, one shape across API v0.0.38 (22.05) to v0.0.44 (25.11).
import { z } from 'zod';

/** Numbers are plain in v0.0.38 and {set, infinite, number} from v0.0.40; unset or infinite reads as null. */
export const zSlurmNumber = z
  .union([
    z.number(),
    z.object({ set: z.boolean(), infinite: z.boolean().default(false), number: z.number().optional() }),
  ])
  .nullable()
  .transform((v) => {
    if (v === null) return null;
    if (typeof v === 'number') return v;
    return v.set && !v.infinite && v.number !== undefined ? v.number : null;
  });

/** States are "idle" + state_flags in v0.0.38 and ["IDLE", "DRAIN"] from v0.0.40: both become upper-case tokens. */
const zTokens = z
  .union([z.string(), z.array(z.string())])
  .nullable()
  .transform((v) =>
    v === null ? [] : (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim().toUpperCase()),
  )
  .transform((v) => v.filter((s) => s !== ''));

/** Features are "a,b" in v0.0.38 and ["a", "b"] later. */
const zList = z
  .union([z.string(), z.array(z.string())])
  .nullable()
  .transform((v) => (v === null ? [] : (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim())))
  .transform((v) => v.filter((s) => s !== ''));

const zText = z
  .string()
  .nullable()
  .transform((v) => v ?? '');

const zSlurmError = z.object({
  error: z.string().optional(),
  error_number: z.number().optional(),
  description: z.string().optional(),
  source: z.string().optional(),
});

export const zSlurmMeta = z
  .object({
    plugin: z
      .object({ type: z.string().optional(), data_parser: z.string().optional() })
      .partial()
      .optional(),
    // "Slurm" in v0.0.38, "slurm" later; majors are numbers, then strings.
    Slurm: z.object({ release: z.string().optional(), cluster: z.string().optional() }).optional(),
    slurm: z.object({ release: z.string().optional(), cluster: z.string().optional() }).optional(),
  })
  .optional();

const envelope = {
  meta: zSlurmMeta,
  errors: z.array(zSlurmError).default([]),
};

export const zSlurmNode = z.object({
  name: z.string().min(1),
  hostname: zText.optional(),
  state: zTokens,
  /** v0.0.38 only; later versions fold the flags into `state`. */
  state_flags: zTokens.optional(),
  gres: zText.default(''),
  gres_used: zText.default(''),
  comment: zText.default(''),
  reason: zText.default(''),
  features: zList.default([]),
  partitions: z.array(z.string()).nullable().default([]),
  boot_time: zSlurmNumber.optional(),
  last_busy: zSlurmNumber.optional(),
  cpus: z.number().optional(),
  real_memory: z.number().optional(),
});
export type SlurmNode = z.output<typeof zSlurmNode>;

export const zSlurmNodesResponse = z.object({ ...envelope, nodes: z.array(zSlurmNode) });

export const zSlurmJob = z.object({
  job_id: z.number().int(),
  job_state: zTokens,
  user_name: zText.default(''),
  account: zText.default(''),
  partition: zText.default(''),
  nodes: zText.default(''),
  node_count: zSlurmNumber.optional(),
  tasks: zSlurmNumber.optional(),
  tres_per_job: zText.optional(),
  tres_per_node: zText.optional(),
  tres_per_task: zText.optional(),
  tres_req_str: zText.optional(),
  tres_alloc_str: zText.optional(),
  gres_detail: z.array(z.string()).nullable().default([]),
  submit_time: zSlurmNumber.optional(),
  start_time: zSlurmNumber.optional(),
});
export type SlurmJob = z.output<typeof zSlurmJob>;

export const zSlurmJobsResponse = z.object({ ...envelope, jobs: z.array(zSlurmJob) });

export const zSlurmPingResponse = z.object({ ...envelope });

/** The part of the OpenAPI document that says which API versions and node methods this slurmrestd serves. */
export const zOpenApiPaths = z.object({
  paths: z.record(z.string(), z.record(z.string(), z.unknown())),
});

export type SlurmMeta = z.output<typeof zSlurmMeta>;

export function slurmRelease(meta: SlurmMeta): string | undefined {
  return meta?.slurm?.release ?? meta?.Slurm?.release;
}
