// Where samples come from: nvidia-smi run on this node, or a file of its output replayed.
import { execFile } from 'node:child_process';
import { parseRfc3339, toRfc3339 } from '../domain/time.ts';
import { lastLoginFromLast, lastLoginFromWho, type LoginSource } from './logins.ts';
import {
  APPS_QUERY_ARGS,
  GPU_QUERY_ARGS,
  NvidiaSmiFailedError,
  parseAppsQuery,
  parseGpuQuery,
  type AppRow,
  type GpuRow,
} from './nvidia-smi.ts';

export interface RawSample {
  gpus: GpuRow[];
  apps: AppRow[];
}

export interface SampleSource {
  /** Live sources sample now; replays have their own clock in the file. */
  readonly live: boolean;
  /** The next sample, or undefined when a replay has nothing left. Throws NvidiaSmiFailedError. */
  next(nowMs: number): Promise<RawSample | undefined>;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export type Exec = (file: string, args: readonly string[]) => Promise<ExecResult>;

/** Runs a program with TZ=UTC (nvidia-smi and `last` print zone-less local times) and a timeout. */
export const execProgram: Exec = (file, args) =>
  new Promise((resolve) => {
    execFile(
      file,
      [...args],
      { timeout: 15_000, maxBuffer: 8 * 1024 * 1024, env: { ...process.env, TZ: 'UTC', LC_ALL: 'C' } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 127) : 0;
        const notFound = error?.code === 'ENOENT' ? `${file} not found on PATH` : error?.message;
        resolve({
          code,
          stdout: String(stdout),
          stderr: String(stderr) || (code === 127 ? (notFound ?? '') : ''),
        });
      },
    );
  });

function failure(result: ExecResult): NvidiaSmiFailedError {
  const text = `${result.stdout}\n${result.stderr}`.trim();
  return new NvidiaSmiFailedError(`exit code ${result.code}: ${text.split('\n')[0] || 'no output'}`);
}

/** Samples the local GPUs with nvidia-smi; a failing nvidia-smi is an NvidiaSmiFailedError, never a crash. */
export function nvidiaSmiSource(exec: Exec = execProgram, program = 'nvidia-smi'): SampleSource {
  return {
    live: true,
    async next(nowMs) {
      const gpus = await exec(program, GPU_QUERY_ARGS);
      if (gpus.code !== 0) throw failure(gpus);
      const apps = await exec(program, APPS_QUERY_ARGS);
      return {
        gpus: parseGpuQuery(gpus.stdout, toRfc3339(nowMs)),
        // A node whose process listing fails still has readings worth sending.
        apps: apps.code === 0 ? parseAppsQuery(apps.stdout) : [],
      };
    },
  };
}

/**
 * Replays --query-gpu output: rows are grouped into samples by timestamp, in file order. Compute-apps
 * output, when given, is taken as the processes of every sample (a file has no time for them).
 */
export function replaySource(gpuText: string, appsText: string | undefined, startMs: number): SampleSource {
  const rows = parseGpuQuery(gpuText, toRfc3339(startMs));
  const apps = appsText === undefined ? [] : parseAppsQuery(appsText);
  const samples: RawSample[] = [];
  for (const row of rows) {
    const last = samples.at(-1);
    // A new sample starts when a GPU repeats or time moves by a second or more.
    const sameRun =
      last !== undefined &&
      !last.gpus.some((g) => g.uuid === row.uuid) &&
      Math.abs(parseRfc3339(row.at) - parseRfc3339(last.gpus[0]!.at)) < 1000;
    if (sameRun) last.gpus.push(row);
    else samples.push({ gpus: [row], apps });
  }
  let i = 0;
  return { live: false, next: async () => samples[i++] };
}

/** The last interactive login from `last` (wtmp), falling back to `who` (utmp) where wtmp is not kept. */
export function loginCommandSource(exec: Exec = execProgram): LoginSource {
  return {
    async lastLoginAt(nowMs) {
      const last = await exec('last', ['--time-format', 'iso', '-n', '200']);
      if (last.code === 0) return lastLoginFromLast(last.stdout, nowMs);
      const who = await exec('who', []);
      return who.code === 0 ? lastLoginFromWho(who.stdout, nowMs) : null;
    },
  };
}
