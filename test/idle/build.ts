// Builders of fleet nodes and window rollups for the idle and attribution tests.
import { zFleetNode, type FleetNode, type FleetNodeInput } from '../../lib/domain/fleet.ts';
import { toRfc3339, WINDOW_MS, WINDOW_SECONDS } from '../../lib/domain/time.ts';
import type { GpuRollup, JobShare, WindowRollup } from '../../lib/domain/usage.ts';

export const POOL = 'aws:us-east-1:us-east-1a:p4d.24xlarge';
export const T0 = Date.parse('2026-03-02T10:00:00Z');

export function node(overrides: Partial<FleetNodeInput> = {}): FleetNode {
  return zFleetNode.parse({
    nodeId: 'i-1',
    provider: 'aws',
    poolId: POOL,
    region: 'us-east-1',
    zone: 'us-east-1a',
    instanceType: 'p4d.24xlarge',
    purchaseOption: 'on-demand',
    state: 'running',
    gpuModel: 'A100',
    gpuCount: 2,
    launchedAt: '2026-03-01T00:00:00Z',
    managed: true,
    labels: { team: 'vision' },
    ...overrides,
  });
}

export interface GpuSignal {
  utilizationPct?: number | null;
  smActivityPct?: number | null;
  memoryUsedMiB?: number | null;
  memoryTotalMiB?: number | null;
  powerW?: number;
  processCount?: number;
}

/** One merged window of a node: every GPU gets the same signal unless `perGpu` says otherwise. */
export function rollup(
  n: Pick<FleetNode, 'nodeId' | 'gpuCount' | 'poolId'>,
  windowStartMs: number,
  signal: GpuSignal = {},
  extra: { jobs?: JobShare[]; lastLoginAt?: string | null; perGpu?: GpuSignal[]; eventId?: string } = {},
): WindowRollup {
  const gpus: GpuRollup[] = Array.from({ length: n.gpuCount }, (_, index) => {
    const s = { ...signal, ...(extra.perGpu?.[index] ?? {}) };
    const util = s.utilizationPct === undefined ? 0 : s.utilizationPct;
    return {
      index,
      uuid: `GPU-${n.nodeId}-${index}`,
      model: 'A100',
      sampleCount: 30,
      sampledSeconds: WINDOW_SECONDS,
      busySeconds: util !== null && util >= 1 ? WINDOW_SECONDS : 0,
      utilizationMinPct: util,
      utilizationMeanPct: util,
      utilizationMaxPct: util,
      smActivityMeanPct: s.smActivityPct ?? null,
      memoryUsedMaxMiB: s.memoryUsedMiB === undefined ? 0 : s.memoryUsedMiB,
      memoryTotalMiB: s.memoryTotalMiB === undefined ? 40960 : s.memoryTotalMiB,
      energyJoules: (s.powerW ?? 0) * WINDOW_SECONDS,
      processCount: s.processCount ?? 0,
    };
  });
  return {
    node: {
      nodeId: n.nodeId,
      provider: 'aws',
      region: 'us-east-1',
      zone: 'us-east-1a',
      instanceType: 'p4d.24xlarge',
      poolId: n.poolId,
      labels: {},
    },
    windowStart: toRfc3339(windowStartMs),
    eventId: extra.eventId ?? `boot-1@${toRfc3339(windowStartMs)}`,
    gpus,
    jobs: extra.jobs ?? [],
    lastLoginAt: extra.lastLoginAt ?? null,
  };
}

/** `count` consecutive windows ending at `endMs` (exclusive), oldest first. */
export function windows(
  n: Pick<FleetNode, 'nodeId' | 'gpuCount' | 'poolId'>,
  endMs: number,
  count: number,
  signal: GpuSignal = {},
  extra: Parameters<typeof rollup>[3] = {},
): WindowRollup[] {
  return Array.from({ length: count }, (_, i) => rollup(n, endMs - (count - i) * WINDOW_MS, signal, extra));
}
