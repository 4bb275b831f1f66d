// One agent process sampling an 8-GPU node every 10 s for simulated hours, on a manual clock; bundled and run by bench/agent.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { putEventsFromEnvironment } from '../../lib/agent/put-events.ts';
import { runAgent, spoolSink } from '../../lib/agent/agent.ts';
import { procJobResolver } from '../../lib/agent/jobs.ts';
import { noLogins } from '../../lib/agent/logins.ts';
import { abortableSleep } from '../../lib/agent/sleep.ts';
import type { RawSample, SampleSource } from '../../lib/agent/sources.ts';
import { FileSpool } from '../../lib/agent/spool.ts';
import { WindowBatcher } from '../../lib/agent/window.ts';
import { DEFAULT_BUS_NAME } from '../../lib/domain/bus.ts';
import { toRfc3339 } from '../../lib/domain/time.ts';
import { jsonLogger } from '../../lib/ingest/logger.ts';
import { manualClock } from '../../lib/memory/clock.ts';

const hours = Number(process.argv[2] ?? 24);
/** `leaky`: the pause as it was, one abort listener left per sample, to measure against. */
const variant = process.argv[3] ?? 'fixed';
const intervalSeconds = 10;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

const START_MS = Date.UTC(2026, 0, 5);
const clock = manualClock(START_MS);
const GPUS = 8;

/** A busy 8-GPU node: utilization and memory move every sample, two jobs hold GPUs. */
function syntheticNode(): SampleSource {
  let n = 0;
  return {
    live: true,
    async next(nowMs): Promise<RawSample> {
      n++;
      const at = toRfc3339(nowMs);
      const gpus = Array.from({ length: GPUS }, (_, index) => ({
        at,
        index,
        uuid: `GPU-5e0b1c2d-0000-4000-8000-00000000000${index}`,
        model: 'NVIDIA A100-SXM4-80GB',
        utilizationPct: (n * 7 + index * 13) % 101,
        memoryUsedMiB: 1024 + ((n * 31 + index) % 70_000),
        memoryTotalMiB: 81_920,
        powerW: 90 + ((n + index) % 300),
        temperatureC: 40 + (index % 30),
      }));
      const apps = gpus
        .slice(0, 6)
        .map((g, i) => ({ gpuUuid: g.uuid, pid: 4000 + (i % 2), usedMemoryMiB: 20_000 }));
      return { gpus, apps };
    },
  };
}

const environ = (job: string) => `SLURM_JOB_ID=${job}\0SLURM_JOB_USER=alice\0SLURM_JOB_ACCOUNT=vision\0`;
const jobs = procJobResolver({
  read: async (pid, file) => (file === 'environ' ? environ(String(pid - 3000)) : undefined),
});

const dir = mkdtempSync(join(tmpdir(), 'agent-soak-'));
const spool = await FileSpool.open(dir);
const logger = jsonLogger(() => {});
const controller = new AbortController();
// Each pause moves the clock by its length and returns on the next turn of the event loop.
const timers = {
  set: (done: () => void, ms: number) => {
    clock.advance(ms);
    return setImmediate(done);
  },
  clear: (handle: unknown) => clearImmediate(handle as NodeJS.Immediate),
};
const sleep =
  variant === 'leaky'
    ? (ms: number) =>
        new Promise<void>((done) => {
          const handle = timers.set(done, ms);
          controller.signal.addEventListener('abort', () => (timers.clear(handle), done()), { once: true });
        })
    : abortableSleep(controller.signal, timers);

const endMs = START_MS + hours * 3_600_000;
const samples: { hour: number; heapUsedBytes: number; rssBytes: number }[] = [];
let nextMark = START_MS;
const sink = spoolSink(
  spool,
  { client: putEventsFromEnvironment(process.env), busName: DEFAULT_BUS_NAME },
  logger,
  clock,
);
const measuringSink = {
  deliver: sink.deliver,
  async retry() {
    await sink.retry();
    if (clock.now() >= nextMark) {
      gc();
      const { heapUsed, rss } = process.memoryUsage();
      samples.push({ hour: (clock.now() - START_MS) / 3_600_000, heapUsedBytes: heapUsed, rssBytes: rss });
      nextMark += 3_600_000;
    }
    if (clock.now() >= endMs) controller.abort();
  },
};

const summary = await runAgent({
  source: syntheticNode(),
  batcher: new WindowBatcher({
    node: nodeIdentity(),
    bootId: 'soak',
    sampleIntervalSeconds: intervalSeconds,
  }),
  sink: measuringSink,
  jobs,
  logins: noLogins,
  clock,
  logger,
  sleep,
  intervalMs: intervalSeconds * 1000,
  signal: controller.signal,
});
gc();
const spooled = spool.pending().length;
rmSync(dir, { recursive: true, force: true });
process.stdout.write(
  `${JSON.stringify({ variant, hours, samples: summary.samples, batches: summary.batches, spooled, marks: samples })}\n`,
);

function nodeIdentity() {
  return {
    nodeId: 'soak-node',
    provider: 'onprem' as const,
    region: 'lab',
    zone: 'gpu',
    instanceType: 'dgx-a100',
    poolId: 'onprem:lab:gpu:dgx-a100',
    labels: { team: 'vision' },
  };
}
