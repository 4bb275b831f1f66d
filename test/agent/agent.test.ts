import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { printSink, runAgent } from '../../lib/agent/agent.ts';
import type { BatchSink } from '../../lib/domain/ports.ts';
import { batchEntrySize } from '../../lib/agent/entries.ts';
import { noJobs, type JobResolver } from '../../lib/agent/jobs.ts';
import { noLogins } from '../../lib/agent/logins.ts';
import { NvidiaSmiFailedError, type GpuRow } from '../../lib/agent/nvidia-smi.ts';
import { nvidiaSmiSource, replaySource, type SampleSource } from '../../lib/agent/sources.ts';
import { splitToFit, WindowBatcher } from '../../lib/agent/window.ts';
import { runCli } from '../../lib/cli/main.ts';
import { MAX_EVENT_BYTES, parseWireEvent } from '../../lib/domain/events.ts';
import { parseRfc3339, toRfc3339 } from '../../lib/domain/time.ts';
import {
  mergeByNodeWindow,
  rollupBatch,
  zUtilizationBatch,
  type NodeIdentity,
  type UtilizationBatch,
} from '../../lib/domain/usage.ts';
import { memoryLogger } from '../../lib/ingest/logger.ts';
import { createMemoryStore } from '../../lib/memory/store.ts';
import { manualClock } from '../../lib/memory/clock.ts';

const FIXTURES = new URL('../fixtures/nvidia-smi/', import.meta.url);
const fixture = (name: string) => readFileSync(new URL(name, FIXTURES), 'utf8');
const GPU_CSV = 'synthetic__2x-a10g_query-gpu_noheader-nounits.csv';
const APPS_CSV = 'synthetic__2x-a10g_query-compute-apps_noheader-nounits.csv';

const node: NodeIdentity = {
  nodeId: 'gpu-017',
  provider: 'onprem',
  region: 'hpc',
  zone: 'gpu',
  instanceType: 'a10g-node',
  poolId: 'onprem:hpc:gpu:a10g-node',
  labels: { team: 'vision' },
};

function collectSink(): BatchSink & { batches: UtilizationBatch[] } {
  const batches: UtilizationBatch[] = [];
  return { batches, deliver: async (b) => void batches.push(...b), retry: async () => {} };
}

const slurmJobs: JobResolver = {
  labelsFor: async (pids) => new Map(pids.map((pid) => [pid, { jobId: `slurm:${pid}`, user: 'ada' }])),
};

function agentDeps(source: SampleSource, sink: BatchSink, bootId = 'boot-a') {
  return {
    source,
    batcher: new WindowBatcher({ node, bootId, sampleIntervalSeconds: 10 }),
    sink,
    jobs: slurmJobs,
    logins: noLogins,
    clock: manualClock(parseRfc3339('2026-03-02T10:00:00Z')),
    logger: memoryLogger(),
    sleep: async () => {},
    intervalMs: 10_000,
  };
}

describe('window batching', () => {
  it('cuts one valid batch per node and 5-minute window, with processes and their jobs', async () => {
    const sink = collectSink();
    const summary = await runAgent(agentDeps(replaySource(fixture(GPU_CSV), fixture(APPS_CSV), 0), sink));
    expect(summary).toMatchObject({ samples: 60, batches: 2, failedSamples: 0 });
    expect(sink.batches.map((b) => b.windowStart)).toEqual(['2026-03-02T10:00:00Z', '2026-03-02T10:05:00Z']);
    for (const batch of sink.batches) {
      expect(zUtilizationBatch.safeParse(batch).success).toBe(true);
      expect(batch.gpus.map((g) => g.readings.length)).toEqual([30, 30]);
      for (const g of batch.gpus)
        for (const r of g.readings)
          expect(parseRfc3339(r.at) - parseRfc3339(batch.windowStart)).toBeLessThan(300_000);
      expect(batchEntrySize(batch)).toBeLessThan(MAX_EVENT_BYTES);
    }
    const [first, second] = sink.batches.map(rollupBatch);
    // GPU 1 idles through the first window and is busy through the second.
    expect(first!.gpus[1]).toMatchObject({ busySeconds: 0, utilizationMaxPct: 0, energyJoules: 0 });
    expect(second!.gpus[1]).toMatchObject({ busySeconds: 300, utilizationMeanPct: 97 });
    const shares = (r: typeof first) => Object.fromEntries(r!.jobs.map((j) => [j.jobId, j.gpuSeconds]));
    expect(shares(first)).toEqual({ 'slurm:4242': 300, 'slurm:5151': 0 });
    expect(shares(second)).toEqual({ 'slurm:4242': 300, 'slurm:5151': 300 });
  });

  it('keeps both partial batches of an agent restarted inside a window, and a read merges them', async () => {
    const rows = replaySource(fixture(GPU_CSV), undefined, 0);
    const samples: { gpus: GpuRow[] }[] = [];
    for (let s = await rows.next(0); s; s = await rows.next(0)) samples.push(s);
    const before = samples.slice(0, 12); // 10:00:00 … 10:01:50
    const after = samples.slice(12, 30); // the restarted agent: 10:02:00 … 10:04:50
    const feed = (part: typeof samples): SampleSource => {
      let i = 0;
      return { live: false, next: async () => part[i] && { gpus: part[i++]!.gpus, apps: [] } };
    };
    const sinkA = collectSink();
    await runAgent(agentDeps(feed(before), sinkA, 'boot-a'));
    const sinkB = collectSink();
    await runAgent(agentDeps(feed(after), sinkB, 'boot-b'));
    expect(sinkA.batches.map((b) => b.windowStart)).toEqual(['2026-03-02T10:00:00Z']);
    expect(sinkB.batches.map((b) => b.windowStart)).toEqual(['2026-03-02T10:00:00Z']);

    const store = createMemoryStore();
    await store.rollups.put([...sinkA.batches, ...sinkB.batches].map(rollupBatch));
    const stored = await store.rollups.forNode(
      node.nodeId,
      parseRfc3339('2026-03-02T10:00:00Z'),
      parseRfc3339('2026-03-02T10:05:00Z'),
    );
    expect(stored).toHaveLength(2);
    const [merged] = mergeByNodeWindow(stored);
    expect(merged!.gpus.map((g) => g.sampleCount)).toEqual([30, 30]);
    expect(merged!.gpus[0]!.sampledSeconds).toBe(300);
  });

  it('drops readings for a window already sent rather than sending a second batch that would overwrite it', () => {
    const batcher = new WindowBatcher({ node, bootId: 'b', sampleIntervalSeconds: 10 });
    const row = (at: string): GpuRow => ({
      at,
      index: 0,
      uuid: 'GPU-x',
      model: 'A10G',
      utilizationPct: 5,
      memoryUsedMiB: 1,
      memoryTotalMiB: 2,
      powerW: 3,
      temperatureC: 4,
    });
    const sample = (at: string) => ({ gpus: [row(at)], apps: [], jobs: new Map(), lastLoginAt: null });
    expect(batcher.add(sample('2026-03-02T10:04:50Z'))).toEqual([]);
    expect(batcher.add(sample('2026-03-02T10:05:00Z'))).toHaveLength(1);
    expect(batcher.add(sample('2026-03-02T10:04:59Z'))).toEqual([]);
    expect(batcher.stats.lateReadings).toBe(1);
  });

  it('splits a window too large for one event over GPU sets, and the merge gives the whole node back', () => {
    const gpus = Array.from({ length: 64 }, (_, index) => ({
      index,
      uuid: `GPU-${String(index).padStart(8, '0')}-0000-0000-0000-000000000000`,
      model: 'NVIDIA H100 80GB HBM3',
      memoryTotalMiB: 81559,
      readings: Array.from({ length: 300 }, (_, s) => ({
        at: toRfc3339(parseRfc3339('2026-03-02T10:00:00Z') + s * 1000 + 123),
        utilizationPct: (s * 7 + index) % 101,
        memoryUsedMiB: 40_000 + s,
        powerW: 512.25,
        temperatureC: 61,
      })),
      processes: [{ pid: 1000 + index, usedMemoryMiB: 40_000, jobId: `slurm:${index % 3}` }],
    }));
    const batch: UtilizationBatch = {
      schemaVersion: '1',
      node,
      bootId: 'boot',
      windowStart: '2026-03-02T10:00:00Z',
      sampleIntervalSeconds: 1,
      gpus,
    };
    expect(batchEntrySize(batch)).toBeGreaterThan(MAX_EVENT_BYTES);
    const parts = splitToFit(batch, batchEntrySize, MAX_EVENT_BYTES);
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) {
      expect(batchEntrySize(p)).toBeLessThan(MAX_EVENT_BYTES);
      expect(zUtilizationBatch.safeParse(p).success).toBe(true);
    }
    expect(new Set(parts.map((p) => p.bootId)).size).toBe(parts.length);
    const [merged] = mergeByNodeWindow(parts.map(rollupBatch));
    const whole = rollupBatch(batch);
    expect(merged!.gpus).toEqual(whole.gpus);
    expect(merged!.jobs.reduce((n, j) => n + j.gpuSeconds, 0)).toBeCloseTo(
      whole.jobs.reduce((n, j) => n + j.gpuSeconds, 0),
      6,
    );
  });
});

describe('the agent loop', () => {
  it('keeps running through a failing nvidia-smi, backing off, and sends once it answers', async () => {
    let calls = 0;
    const exec = async (_file: string, args: readonly string[]) => {
      calls++;
      if (calls <= 6)
        return { code: 9, stdout: fixture('issue_self-hosted-runners-40_driver-failed.txt'), stderr: '' };
      return args[0]!.startsWith('--query-gpu')
        ? {
            code: 0,
            stdout: '2026/03/02 10:00:00.000, 0, GPU-a, NVIDIA A10G, 50, 100, 23028, 60.5, 40\n',
            stderr: '',
          }
        : { code: 0, stdout: '', stderr: '' };
    };
    const sink = collectSink();
    const sleeps: number[] = [];
    const controller = new AbortController();
    const deps = {
      ...agentDeps(nvidiaSmiSource(exec), sink),
      sleep: async (ms: number) => {
        sleeps.push(ms);
        if (sleeps.length === 8) controller.abort();
      },
      signal: controller.signal,
    };
    const summary = await runAgent(deps);
    expect(summary.failedSamples).toBe(6);
    expect(summary.samples).toBe(2);
    expect(sleeps.slice(0, 6)).toEqual([20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
    expect(sleeps[6]).toBe(10_000);
    expect(sink.batches).toHaveLength(1);
    const errors = (deps.logger as ReturnType<typeof memoryLogger>).lines.filter((l) => l.level === 'error');
    expect(errors[0]!.fields.error).toMatch(/exit code 9: NVIDIA-SMI has failed/);
  });

  it('reports a failure with --once when nvidia-smi never answers', async () => {
    const exec = async () => ({ code: 127, stdout: '', stderr: 'nvidia-smi not found on PATH' });
    const summary = await runAgent({ ...agentDeps(nvidiaSmiSource(exec), collectSink()), once: true });
    expect(summary.error).toMatch(/not found on PATH/);
    await expect(nvidiaSmiSource(exec).next(0)).rejects.toBeInstanceOf(NvidiaSmiFailedError);
  });

  it('prints events that parse as GPU Utilization Batch events', async () => {
    const printed: unknown[] = [];
    await runAgent({
      ...agentDeps(
        replaySource(fixture(GPU_CSV), undefined, 0),
        printSink((e) => printed.push(e)),
      ),
      jobs: noJobs,
    });
    expect(printed).toHaveLength(2);
    for (const e of printed as { source: string; 'detail-type': string; detail: unknown }[]) {
      expect(parseWireEvent({ source: e.source, detailType: e['detail-type'], detail: e.detail }).ok).toBe(
        true,
      );
    }
  });
});

describe('gpu-optimizer agent', () => {
  const io = () => {
    const out: string[] = [];
    const err: string[] = [];
    return {
      out,
      err,
      io: {
        stdout: (t: string) => void out.push(t),
        stderr: (t: string) => void err.push(t),
        interactive: false,
        env: {},
        cwd: new URL('../..', import.meta.url).pathname,
      },
    };
  };

  it('replays a file with --dry-run and prints one event per window', async () => {
    const { out, io: cliIo } = io();
    const code = await runCli(
      [
        'agent',
        '--from-file',
        `test/fixtures/nvidia-smi/${GPU_CSV}`,
        '--apps-file',
        `test/fixtures/nvidia-smi/${APPS_CSV}`,
        '--dry-run',
        '--node-id',
        'gpu-017',
        '--pool',
        'onprem:hpc:gpu:a10g',
        '--team',
        'vision',
      ],
      cliIo,
    );
    expect(code).toBe(0);
    const events = out
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events.map((e) => e.detail.windowStart)).toEqual(['2026-03-02T10:00:00Z', '2026-03-02T10:05:00Z']);
    expect(events[0].detail.node).toMatchObject({
      nodeId: 'gpu-017',
      poolId: 'onprem:hpc:gpu:a10g',
      labels: { team: 'vision' },
    });
  });

  it('exits 1 naming the problem when the file is not a CSV query, and 2 on a bad flag', async () => {
    const bad = io();
    expect(
      await runCli(
        ['agent', '--from-file', 'test/fixtures/nvidia-smi/telegraf__tesla-t4.xml', '--dry-run'],
        bad.io,
      ),
    ).toBe(1);
    expect(bad.err.join('')).toMatch(/nvidia-smi -q -x/);
    const usage = io();
    expect(await runCli(['agent', '--interval', '0', '--dry-run'], usage.io)).toBe(2);
    expect(usage.err.join('')).toMatch(/--interval must be at least 1/);
  });
});
