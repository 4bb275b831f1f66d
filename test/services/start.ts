// Brings up Slurm or Prometheus for a test file, or reuses the ones .ci/services.sh started (SERVICES_DIR).
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { historySpan, writeHistory } from './dcgm-history.ts';

const HERE = dirname(fileURLToPath(import.meta.url));

export interface RunningService {
  env: Record<string, string>;
  /** Stops the service if this test file started it; leaves alone one started by .ci/services.sh. */
  stop(): Promise<void>;
}

export function servicesDir(): string {
  return process.env.SERVICES_DIR ?? join(tmpdir(), 'gpu-optimizer-services');
}

function run(script: string, args: readonly string[], dir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      [join(HERE, script), ...args],
      { env: { ...process.env, SERVICES_DIR: dir }, timeout: 120_000 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${script} failed: ${stderr || stdout || error.message}`));
        else resolve();
      },
    );
  });
}

export function readEnvFile(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) out[line.slice(0, at)] = line.slice(at + 1);
  }
  return out;
}

async function answers(url: string, headers: Record<string, string> = {}): Promise<boolean> {
  try {
    const r = await fetch(url, { headers, signal: AbortSignal.timeout(3000) });
    return r.ok;
  } catch {
    return false;
  }
}

/** The running service described by `envFile`, or one started by `up` (stopped again by `down`). */
async function useService(
  envFile: string,
  isUp: (env: Record<string, string>) => Promise<boolean>,
  up: (dir: string) => Promise<void>,
  down: string,
): Promise<RunningService> {
  const dir = servicesDir();
  const file = join(dir, envFile);
  if (existsSync(file)) {
    const env = readEnvFile(file);
    if (await isUp(env)) return { env, stop: async () => {} };
  }
  mkdirSync(dir, { recursive: true });
  await up(dir);
  return { env: readEnvFile(file), stop: () => run(down, [], dir) };
}

export function useSlurm(): Promise<RunningService> {
  return useService(
    'slurm.env',
    (env) =>
      answers(`${env.SLURM_REST_URL}/openapi/v3`, {
        'X-SLURM-USER-NAME': env.SLURM_USER ?? '',
        'X-SLURM-USER-TOKEN': env.SLURM_JWT ?? '',
      }),
    (dir) => run('slurm-up.sh', [], dir),
    'slurm-down.sh',
  );
}

/** Hours of DCGM history the tests load; 3 h at 15 s is 28,800 samples, a 2 s backfill. */
export const HISTORY_HOURS = 3;
export const HISTORY_STEP_SECONDS = 15;

export function usePrometheus(): Promise<RunningService> {
  return useService(
    'prom.env',
    (env) => answers(`${env.PROMETHEUS_URL}/-/ready`),
    async (dir) => {
      mkdirSync(join(dir, 'prom'), { recursive: true });
      const history = join(dir, 'prom', 'history.om');
      writeHistory(history, historySpan(Date.now() / 1000, HISTORY_HOURS, HISTORY_STEP_SECONDS));
      await run('prom-up.sh', [history], dir);
    },
    'prom-down.sh',
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  // `npx tsx test/services/start.ts prometheus-history FILE`: what .ci/services.sh uses to write the history.
  const [command, file] = process.argv.slice(2);
  if (command === 'prometheus-history' && file) {
    writeHistory(file, historySpan(Date.now() / 1000, HISTORY_HOURS, HISTORY_STEP_SECONDS));
  } else {
    console.error('usage: start.ts prometheus-history FILE');
    process.exit(2);
  }
}
