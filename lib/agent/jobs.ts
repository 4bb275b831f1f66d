// Which scheduler job a GPU process belongs to: pluggable resolvers over /proc (Slurm environ, cgroup paths).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Labels } from '../domain/labels.ts';

/** Reads one file of a process under /proc; undefined when the process is gone or not readable. */
export interface ProcReader {
  read(pid: number, file: 'environ' | 'cgroup'): Promise<string | undefined>;
}

export function fsProcReader(procRoot = '/proc'): ProcReader {
  return {
    async read(pid, file) {
      try {
        return await readFile(join(procRoot, String(pid), file), 'latin1');
      } catch {
        return undefined;
      }
    },
  };
}

/** Maps the pids on the GPUs to their job labels; a pid it cannot place is left out. */
export interface JobResolver {
  labelsFor(pids: readonly number[]): Promise<Map<number, Labels>>;
}

export const noJobs: JobResolver = { labelsFor: async () => new Map() };

/** The job of a Slurm task from its environment (NUL-separated KEY=value, as /proc/<pid>/environ holds it). */
export function slurmLabelsFromEnviron(environ: string): Labels | undefined {
  const env = new Map<string, string>();
  for (const pair of environ.split('\0')) {
    const eq = pair.indexOf('=');
    if (eq > 0) env.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  const jobId = env.get('SLURM_JOB_ID') ?? env.get('SLURM_JOBID');
  if (!jobId) return undefined;
  const labels: Labels = { jobId: `slurm:${jobId}` };
  const user = env.get('SLURM_JOB_USER');
  const account = env.get('SLURM_JOB_ACCOUNT');
  if (user) labels.user = user;
  if (account) labels.project = account;
  return labels;
}

/**
 * The job from /proc/<pid>/cgroup: Slurm puts tasks under ".../job_<id>/step_<n>" (cgroup v1 and v2), the
 * kubelet under ".../pod<uid>/..." or "kubepods-…-pod<uid>.slice".
 */
export function labelsFromCgroup(cgroup: string): Labels | undefined {
  const slurm = /\/job_(\d+)(?:\/|$)/m.exec(cgroup);
  if (slurm) return { jobId: `slurm:${slurm[1]}` };
  const pod = /pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})/m.exec(cgroup);
  if (pod) return { jobId: `k8s-pod:${pod[1]!.replace(/_/g, '-')}` };
  return undefined;
}

/** Tries each source in turn for every pid: the environment first (it names user and account), then cgroups. */
export function procJobResolver(proc: ProcReader): JobResolver {
  return {
    async labelsFor(pids) {
      const out = new Map<number, Labels>();
      await Promise.all(
        [...new Set(pids)].map(async (pid) => {
          const environ = await proc.read(pid, 'environ');
          const fromEnv = environ === undefined ? undefined : slurmLabelsFromEnviron(environ);
          if (fromEnv) return void out.set(pid, fromEnv);
          const cgroup = await proc.read(pid, 'cgroup');
          const fromCgroup = cgroup === undefined ? undefined : labelsFromCgroup(cgroup);
          if (fromCgroup) out.set(pid, fromCgroup);
        }),
      );
      return out;
    },
  };
}

/** Labels given on the command line (--team, --project) fill what the scheduler did not say. */
export function withDefaults(resolver: JobResolver, defaults: Labels): JobResolver {
  return {
    async labelsFor(pids) {
      const found = await resolver.labelsFor(pids);
      for (const [pid, labels] of found) found.set(pid, { ...defaults, ...labels });
      return found;
    },
  };
}
