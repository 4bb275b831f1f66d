// `npm run bench:idle`: idle GPU time the detector finds in Alibaba's per-pod GPU utilization trace, and what reclaiming it saves.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { gunzipSync } from 'node:zlib';
import { alignColumns } from '../lib/cli/columns.ts';
import { zFleetNode, type FleetNode } from '../lib/domain/fleet.ts';
import { formatUsdForDisplay, usdToNumber, costForSeconds } from '../lib/domain/money.ts';
import { toRfc3339, WINDOW_MS, WINDOW_SECONDS } from '../lib/domain/time.ts';
import type { WindowRollup } from '../lib/domain/usage.ts';
import { decideIdle } from '../lib/optimizer/idle/detector.ts';
import { planReclaim, type NodeAssessment } from '../lib/optimizer/idle/lifecycle.ts';
import { zReclaimPolicy } from '../lib/optimizer/idle/policy.ts';
import { IDLE_DEFAULTS, type IdleThresholds } from '../lib/optimizer/idle/thresholds.ts';
import { loadCatalog } from '../lib/pricing/catalog.ts';

const ROOT = join(import.meta.dirname, '..');
const DATA = join(ROOT, 'data/research/alibaba-genai-gpu-util');
/** Peak memory any pod uses is 47.3 GiB: the trace's GPU is read as a 48 GB one. */
const GPU_MEMORY_MIB = 48 * 1024;
const POOL = 'alibaba-genai';

async function csvRows(file: string): Promise<string[][]> {
  const text = gunzipSync(await readFile(join(DATA, file))).toString('utf8');
  return text
    .trimEnd()
    .split('\n')
    .slice(1)
    .map((l) => l.split(','));
}

interface Sample {
  utilPct: number[];
  memMiB: number[];
}

/** Per pod, per 5-minute window: the duty-cycle and memory samples that fall in it. */
async function loadPods(): Promise<{
  pods: Map<string, Map<number, Sample>>;
  samples: number;
  zeroSamples: number;
}> {
  const pods = new Map<string, Map<number, Sample>>();
  const slot = (pod: string, tsSec: number) => {
    const windows = pods.get(pod) ?? new Map<number, Sample>();
    pods.set(pod, windows);
    const w = Math.floor((tsSec * 1000) / WINDOW_MS) * WINDOW_MS;
    const s = windows.get(w) ?? { utilPct: [], memMiB: [] };
    windows.set(w, s);
    return s;
  };
  let samples = 0;
  let zeroSamples = 0;
  for (const [value, ts, pod] of await csvRows('pod_gpu_duty_cycle_anon.csv.gz')) {
    const util = Number(value);
    slot(pod!, Number(ts)).utilPct.push(util);
    samples++;
    if (util === 0) zeroSamples++;
  }
  for (const [ts, value, pod] of await csvRows('pod_gpu_memory_used_bytes_anon.csv.gz')) {
    slot(pod!, Number(ts)).memMiB.push(Number(value) / 2 ** 20);
  }
  return { pods, samples, zeroSamples };
}

function rollupOf(pod: string, windowStartMs: number, s: Sample): WindowRollup {
  const mean = s.utilPct.length ? s.utilPct.reduce((a, b) => a + b, 0) / s.utilPct.length : null;
  const seconds = Math.min(WINDOW_SECONDS, Math.max(s.utilPct.length, s.memMiB.length) * 57);
  return {
    node: {
      nodeId: pod,
      provider: 'sim',
      region: 'trace',
      zone: 'trace',
      instanceType: 'pod',
      poolId: POOL,
      labels: {},
    },
    windowStart: toRfc3339(windowStartMs),
    eventId: `trace@${windowStartMs}`,
    gpus: [
      {
        index: 0,
        uuid: pod,
        model: 'L40S',
        sampleCount: s.utilPct.length,
        sampledSeconds: seconds,
        busySeconds: 0,
        utilizationMinPct: s.utilPct.length ? Math.min(...s.utilPct) : null,
        utilizationMeanPct: mean,
        utilizationMaxPct: s.utilPct.length ? Math.max(...s.utilPct) : null,
        smActivityMeanPct: null,
        memoryUsedMaxMiB: s.memMiB.length ? Math.max(...s.memMiB) : null,
        memoryTotalMiB: GPU_MEMORY_MIB,
        energyJoules: 0,
        processCount: 0,
      },
    ],
    jobs: [],
    lastLoginAt: null,
  };
}

interface Outcome {
  rules: string;
  gpuHours: number;
  idleGpuHours: number;
  unknownGpuHours: number;
  releasedGpuHours: number;
  releases: number;
  relaunches: number;
  decisions: number;
  decideMs: number;
}

/** Replays the reclaim run every 5 minutes over the trace with the shipped policy (enforce, default caps). */
function replay(pods: Map<string, Map<number, Sample>>, thresholds: IdleThresholds, rules: string): Outcome {
  const rollups = new Map<string, Map<number, WindowRollup>>();
  let first = Infinity;
  let last = -Infinity;
  const span = new Map<string, [number, number]>();
  for (const [pod, windows] of pods) {
    const mine = new Map<number, WindowRollup>();
    for (const [w, s] of windows) mine.set(w, rollupOf(pod, w, s));
    rollups.set(pod, mine);
    const starts = [...windows.keys()];
    span.set(pod, [Math.min(...starts), Math.max(...starts)]);
    first = Math.min(first, ...starts);
    last = Math.max(last, ...starts);
  }
  const nodes = new Map<string, FleetNode>(
    [...pods.keys()].map((pod) => [
      pod,
      zFleetNode.parse({
        nodeId: pod,
        provider: 'sim',
        poolId: POOL,
        region: 'trace',
        zone: 'trace',
        instanceType: 'pod',
        purchaseOption: 'on-demand',
        state: 'running',
        gpuModel: 'L40S',
        gpuCount: 1,
        managed: true,
      }),
    ]),
  );
  const policy = zReclaimPolicy.parse({ mode: 'enforce' });
  const lookback = Math.ceil((thresholds.windowMinutes * 60_000) / WINDOW_MS) + 1;
  const out: Outcome = {
    rules,
    gpuHours: 0,
    idleGpuHours: 0,
    unknownGpuHours: 0,
    releasedGpuHours: 0,
    releases: 0,
    relaunches: 0,
    decisions: 0,
    decideMs: 0,
  };
  const hoursPerWindow = WINDOW_MS / 3_600_000;
  // Pod windows found idle: the whole look-back of every idle verdict, and every window a pod spent released.
  const idleWindows = new Set<string>();
  const windowsPerVerdict = (thresholds.windowMinutes * 60_000) / WINDOW_MS;
  for (let w = first; w <= last; w += WINDOW_MS) {
    const nowMs = w + WINDOW_MS;
    const assessments: NodeAssessment[] = [];
    for (const [pod, node] of nodes) {
      const [from, to] = span.get(pod)!;
      if (w < from || w > to) continue;
      const mine = rollups.get(pod)!;
      const current = mine.get(w);
      out.gpuHours += hoursPerWindow;
      if (node.state === 'stopped') {
        // A released replica comes back when the trace shows its GPU at work again (the relaunch).
        const busyAgain = (current?.gpus[0]?.utilizationMeanPct ?? 0) >= thresholds.utilizationPct;
        if (!busyAgain) {
          out.releasedGpuHours += hoursPerWindow;
          idleWindows.add(`${pod}|${w}`);
          continue;
        }
        nodes.set(pod, { ...node, state: 'running', mark: undefined });
        out.relaunches++;
        continue;
      }
      const recent: WindowRollup[] = [];
      for (let k = lookback; k >= 0; k--) {
        const r = mine.get(w - k * WINDOW_MS);
        if (r) recent.push(r);
      }
      const t0 = performance.now();
      const decision = decideIdle(node, recent, thresholds, nowMs);
      out.decideMs += performance.now() - t0;
      out.decisions++;
      if (decision.decision === 'idle') {
        for (let k = 0; k < windowsPerVerdict; k++) {
          if (w - k * WINDOW_MS >= from) idleWindows.add(`${pod}|${w - k * WINDOW_MS}`);
        }
      }
      if (decision.decision === 'unknown') out.unknownGpuHours += hoursPerWindow;
      assessments.push({ node, decision, thresholds });
    }
    const plan = planReclaim(assessments, policy, nowMs);
    for (const m of plan.marks) {
      nodes.set(m.nodeId, {
        ...nodes.get(m.nodeId)!,
        mark: { markedAt: toRfc3339(nowMs), reason: m.reason },
      });
    }
    for (const u of plan.unmarks) nodes.set(u.nodeId, { ...nodes.get(u.nodeId)!, mark: undefined });
    for (const r of plan.releases) {
      nodes.set(r.nodeId, { ...nodes.get(r.nodeId)!, state: 'stopped' });
      out.releases++;
    }
  }
  out.idleGpuHours = idleWindows.size * hoursPerWindow;
  return out;
}

async function main() {
  const started = performance.now();
  const { pods, samples, zeroSamples } = await loadPods();
  const offering = loadCatalog()
    .find({ provider: 'aws', region: 'us-east-1', gpu: 'L40S' })
    .filter((o) => o.gpuCount === 1)
    .sort((a, b) => (a.onDemandUsdPerHour < b.onDemandUsdPerHour ? -1 : 1))[0];
  if (!offering) throw new Error('the bundled catalog has no one-GPU L40S offering in aws us-east-1');
  const priceUsdPerGpuHour = offering.onDemandUsdPerHour;

  const configs: [string, IdleThresholds][] = [
    ['GPU utilization (memory not judged)', { ...IDLE_DEFAULTS, memoryUsedPct: null }],
    ['utilization + memory held (default rules)', IDLE_DEFAULTS],
  ];
  const results = configs.map(([name, t]) => replay(pods, t, name));
  const money = (hours: number) => costForSeconds(priceUsdPerGpuHour, Math.round(hours * 3600));

  console.log(
    `alibaba-genai-gpu-util: ${pods.size} pods (1 GPU each), ${samples.toLocaleString('en-US')} duty-cycle samples, ` +
      `${((100 * zeroSamples) / samples).toFixed(1)} % of them at 0 %`,
  );
  console.log(
    `price: ${formatUsdForDisplay(priceUsdPerGpuHour)}/GPU-hour = ${offering.instanceType} (1× ${offering.gpuModel} 48 GB) ` +
      `on-demand, aws us-east-1, AWS price list as of ${offering.asOf} (data/catalog/offerings.csv)`,
  );
  console.log(
    `rules: window ${IDLE_DEFAULTS.windowMinutes} min under ${IDLE_DEFAULTS.utilizationPct} %, grace ${IDLE_DEFAULTS.graceMinutes} min, ` +
      `policy enforce with default caps; no process list in the trace, so the job-process rule is not applied`,
  );
  const header = [
    'rules',
    'GPU-h',
    'idle GPU-h',
    'idle share',
    'released GPU-h',
    'releases',
    'relaunches',
    'saved at list',
    'idle at list',
  ];
  const rows = results.map((r) => [
    r.rules,
    r.gpuHours.toFixed(1),
    r.idleGpuHours.toFixed(1),
    `${((100 * r.idleGpuHours) / r.gpuHours).toFixed(1)} %`,
    r.releasedGpuHours.toFixed(1),
    String(r.releases),
    String(r.relaunches),
    formatUsdForDisplay(money(r.releasedGpuHours)),
    formatUsdForDisplay(money(r.idleGpuHours)),
  ]);
  for (const line of alignColumns(header, rows)) console.log(line);
  const decisions = results.reduce((a, r) => a + r.decisions, 0);
  const decideMs = results.reduce((a, r) => a + r.decideMs, 0);
  console.log(
    `detector: ${decisions.toLocaleString('en-US')} node decisions, ${((1000 * decideMs) / decisions).toFixed(1)} µs each; ` +
      `bench ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );

  await mkdir(join(ROOT, 'bench/results'), { recursive: true });
  await writeFile(
    join(ROOT, 'bench/results/idle.json'),
    `${JSON.stringify(
      {
        dataset: 'data/research/alibaba-genai-gpu-util (alibaba/clusterdata cluster-trace-v2026-GenAI)',
        pods: pods.size,
        dutyCycleSamples: samples,
        zeroUtilizationSampleShare: zeroSamples / samples,
        price: {
          usdPerGpuHour: usdToNumber(priceUsdPerGpuHour),
          instanceType: offering.instanceType,
          gpuModel: offering.gpuModel,
          region: 'us-east-1',
          option: 'on-demand',
          asOf: offering.asOf,
          source: 'AWS price list via data/catalog/offerings.csv',
        },
        thresholds: IDLE_DEFAULTS,
        results: results.map((r) => ({
          rules: r.rules,
          gpuHours: r.gpuHours,
          idleGpuHours: r.idleGpuHours,
          idleShare: r.idleGpuHours / r.gpuHours,
          unknownGpuHours: r.unknownGpuHours,
          releasedGpuHours: r.releasedGpuHours,
          releases: r.releases,
          relaunches: r.relaunches,
          savedAtListUsd: usdToNumber(money(r.releasedGpuHours)),
          idleAtListUsd: usdToNumber(money(r.idleGpuHours)),
        })),
        detectorMicrosPerDecision: (1000 * decideMs) / decisions,
      },
      null,
      2,
    )}\n`,
  );
}

await main();
