// A 7-slice MIG node, a vGPU node and a time-sliced node through snapshot → plan → attribution: each physical GPU
// counted once, and its hour split exactly among its tenants (largest remainder), the rest to __idle__.
import { renderReportHtml } from '../../lib/notify/report/html.ts';
import { buildWeeklyReport } from '../../lib/notify/report/model.ts';
import { renderReportText } from '../../lib/notify/report/text.ts';
import { describe, expect, it } from 'vitest';
import { attributeHour } from '../../lib/attribution/hour.ts';
import { DEFAULT_ATTRIBUTION_OPTIONS } from '../../lib/attribution/options.ts';
import { totalsBy } from '../../lib/attribution/summary.ts';
import { DEFAULT_KUBE_LABEL_KEYS, kubeFleetView } from '../../lib/connectors/kubernetes/map.ts';
import { gpuNode, gpuPod } from './kube-nodes.ts';
import { zCapacitySnapshot } from '../../lib/domain/events.ts';
import { formatUsd, parseUsd, sumUsd } from '../../lib/domain/money.ts';
import type { PriceQuote } from '../../lib/domain/price.ts';
import { toRfc3339 } from '../../lib/domain/time.ts';
import type { WindowRollup } from '../../lib/domain/usage.ts';
import { planCapacity } from '../../lib/optimizer/planner/solve.ts';

const HOUR = Date.parse('2026-03-02T10:00:00Z');

const region = { 'topology.kubernetes.io/region': 'us-east-1', 'topology.kubernetes.io/zone': 'us-east-1a' };
const node = (name: string, labels: Record<string, string>, advertised: number) =>
  gpuNode(name, { ...region, ...labels }, advertised, true);
const pod = gpuPod;

const kubeNodes = [
  node(
    'mig',
    {
      'nvidia.com/mig.strategy': 'single',
      'nvidia.com/gpu.count': '7',
      'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3-MIG-1g.10gb',
      'nvidia.com/gpu.memory': '9984',
    },
    7,
  ),
  node(
    'vgpu',
    {
      'nvidia.com/gpu.product': 'GRID-A100-10C',
      'nvidia.com/gpu.memory': '10240',
      'nvidia.com/gpu.count': '1',
    },
    1,
  ),
  node(
    'ts',
    {
      'nvidia.com/gpu.product': 'Tesla-T4-SHARED',
      'nvidia.com/gpu.count': '1',
      'nvidia.com/gpu.replicas': '8',
    },
    8,
  ),
];
// MIG: alpha holds 3 slices, beta 2, gamma 1; one slice is free. vGPU: delta. Time-slicing: alpha 1, beta 2 of 8.
const pods = [
  pod('a1', 'mig', 3, 'alpha'),
  pod('b1', 'mig', 2, 'beta'),
  pod('g1', 'mig', 1, 'gamma'),
  pod('d1', 'vgpu', 1, 'delta'),
  pod('a2', 'ts', 1, 'alpha'),
  pod('b2', 'ts', 2, 'beta'),
];

/** An hour of rollups: each pod held its devices for the whole hour (device-seconds). */
function rollups(nodeId: string, poolId: string, jobs: [string, string, number][]): WindowRollup[] {
  return Array.from({ length: 12 }, (_, w) => ({
    node: {
      nodeId,
      provider: 'kubernetes',
      region: 'lab/us-east-1',
      zone: 'us-east-1a',
      instanceType: 'x',
      poolId,
      labels: {},
    },
    windowStart: toRfc3339(HOUR + w * 300_000),
    eventId: `${nodeId}-${w}`,
    gpus: [],
    jobs: jobs.map(([jobId, team, devices]) => ({
      jobId,
      team,
      user: team,
      project: team,
      gpuSeconds: devices * 300,
    })),
  })) as WindowRollup[];
}

/** One hour of the 7-slice MIG node with these jobs on its slices, at this price for the node-hour. */
function migNodeHour(
  jobs: [string, string, number][],
  usdPerHour: bigint,
  options: typeof DEFAULT_ATTRIBUTION_OPTIONS = DEFAULT_ATTRIBUTION_OPTIONS,
) {
  const view = kubeFleetView(kubeNodes.slice(0, 1), pods.slice(0, 3), 'lab', DEFAULT_KUBE_LABEL_KEYS, HOUR);
  return attributeHour({
    hourStartMs: HOUR,
    nodes: view.nodes,
    rollups: rollups('k8s:lab:mig', view.nodes[0]!.poolId, jobs),
    prices: [
      {
        poolId: view.nodes[0]!.poolId,
        option: 'on-demand',
        usdPerHour,
        asOf: toRfc3339(HOUR),
        source: 'catalog',
        modelled: false,
      } as PriceQuote,
    ],
    options,
  });
}

describe('shared GPUs from snapshot to chargeback', () => {
  it('counts each physical GPU once, plans whole instances, and splits each hour exactly', async () => {
    // Snapshot: what the Kubernetes connector reports, through the event's own schema (wire and back).
    const view = kubeFleetView(kubeNodes, pods, 'lab', DEFAULT_KUBE_LABEL_KEYS, HOUR);
    const snapshot = zCapacitySnapshot.parse(
      JSON.parse(
        JSON.stringify({
          schemaVersion: '1',
          connector: 'kubernetes:lab',
          takenAt: toRfc3339(HOUR),
          pools: view.pools,
          nodes: view.nodes,
          demand: view.demand,
        }),
      ),
    );
    expect(snapshot.nodes.map((n) => [n.nodeId, n.gpuModel, n.gpuCount])).toEqual([
      ['k8s:lab:mig', 'H100', 1],
      ['k8s:lab:vgpu', 'A100', 1],
      ['k8s:lab:ts', 'T4', 1],
    ]);
    expect(snapshot.nodes.reduce((a, n) => a + n.gpuCount, 0)).toBe(3);
    const poolOf = (name: string) => snapshot.nodes.find((n) => n.nodeId === `k8s:lab:${name}`)!.poolId;
    const demandOf = (pool: string) =>
      snapshot.demand.filter((d) => d.poolId === pool).reduce((a, d) => a + d.gpusRunning, 0);
    expect(demandOf(poolOf('mig'))).toBeCloseTo(6 / 7, 12);
    expect(demandOf(poolOf('vgpu'))).toBeCloseTo(1 / 4, 12);
    expect(demandOf(poolOf('ts'))).toBeCloseTo(3 / 8, 12);

    // Plan: each pool's fractional demand needs one instance of one physical GPU, not 7 or 8.
    const usdPerHour: Record<string, string> = { mig: '7.000000', vgpu: '1.000000', ts: '0.800000' };
    const prices: PriceQuote[] = (['mig', 'vgpu', 'ts'] as const).map((name) => ({
      poolId: poolOf(name),
      option: 'on-demand',
      usdPerHour: parseUsd(usdPerHour[name]!),
      asOf: toRfc3339(HOUR),
      source: 'catalog',
      modelled: false,
    })) as PriceQuote[];
    const classes = (['mig', 'vgpu', 'ts'] as const).map((name) => ({
      id: name,
      team: 'all',
      minGpuMemoryGiB: 0,
      interconnect: 'pcie' as const,
      allowedGpuModels: [snapshot.pools.find((p) => p.id === poolOf(name))!.gpuModel],
      spotShare: 0,
      checkpointIntervalMinutes: 60,
    }));
    const plan = await planCapacity(
      {
        startMs: HOUR,
        horizonHours: 2,
        pools: snapshot.pools,
        prices,
        classes,
        demand: { mig: [6 / 7, 6 / 7], vgpu: [1 / 4, 1 / 4], ts: [3 / 8, 3 / 8] },
        fleet: snapshot.nodes,
      },
      { integer: 'mip' },
    );
    for (const name of ['mig', 'vgpu', 'ts'])
      expect(plan.instances.get(poolOf(name))!['on-demand'][0]).toBe(1);

    // Attribution: the node-hour split by each tenant's exact share; the free slice and replicas are idle.
    const hour = attributeHour({
      hourStartMs: HOUR,
      nodes: snapshot.nodes,
      rollups: [
        ...rollups('k8s:lab:mig', poolOf('mig'), [
          ['a1', 'alpha', 3],
          ['b1', 'beta', 2],
          ['g1', 'gamma', 1],
        ]),
        ...rollups('k8s:lab:vgpu', poolOf('vgpu'), [['d1', 'delta', 1]]),
        ...rollups('k8s:lab:ts', poolOf('ts'), [
          ['a2', 'alpha', 1],
          ['b2', 'beta', 2],
        ]),
      ],
      prices,
      options: DEFAULT_ATTRIBUTION_OPTIONS,
    });
    const cost = (nodeId: string) =>
      Object.fromEntries(
        hour.rows.filter((r) => r.ResourceId === nodeId).map((r) => [r.x_JobId, formatUsd(r.EffectiveCost)]),
      );
    expect(cost('k8s:lab:mig')).toEqual({
      a1: '3.000000',
      b1: '2.000000',
      g1: '1.000000',
      __idle__: '1.000000',
    });
    expect(cost('k8s:lab:vgpu')).toEqual({ d1: '1.000000' });
    // 0.80 over eighths: alpha 1/8 = 0.10, beta 2/8 = 0.20, idle 5/8 = 0.50.
    expect(cost('k8s:lab:ts')).toEqual({ a2: '0.100000', b2: '0.200000', __idle__: '0.500000' });
    expect(sumUsd(hour.rows.map((r) => r.EffectiveCost))).toBe(hour.fleetCostUsd);
    expect(hour.fleetCostUsd).toBe(parseUsd('8.800000'));

    // Each team's fractional GPU-hours in the summary data: alpha 3/7 of an H100 + 1/8 of a T4.
    const teams = Object.fromEntries(totalsBy(hour.rows, 'x_Team').map((t) => [t.key, t]));
    expect(teams.alpha!.gpuHours).toBeCloseTo(3 / 7 + 1 / 8, 12);
    expect(teams.alpha!.sharedGpuHours).toBeCloseTo(3 / 7 + 1 / 8, 12);
    expect(teams.delta!.gpuHours).toBeCloseTo(1 / 4, 12);
    expect(teams.gamma!.effectiveUsd).toBe(parseUsd('1'));
  });

  it('splits by memory when so configured: a 1g.10gb slice of an H100 is 1/8', () => {
    const hour = migNodeHour([['g1', 'gamma', 1]], parseUsd('8'), {
      ...DEFAULT_ATTRIBUTION_OPTIONS,
      gpuShareBasis: 'memory',
    });
    expect(hour.rows.map((r) => [r.x_JobId, formatUsd(r.EffectiveCost)])).toEqual([
      ['__idle__', '7.000000'],
      ['g1', '1.000000'],
    ]);
  });

  it('shows each team’s fractional use in the weekly report: a MIG slice’s hours at its share of one GPU', () => {
    const hour = migNodeHour([['g1', 'gamma', 1]], parseUsd('7'));
    const report = buildWeeklyReport({
      weekStartMs: HOUR,
      attribution: hour.rows,
      ledger: [],
      forecasts: [],
      plans: [],
    });
    const gamma = report.spendByTeam.find((t) => t.key === 'gamma')!;
    // One 1g.10gb slice of an H100 for an hour: a seventh of a GPU-hour, all of it on a shared GPU.
    expect(gamma.gpuHours).toBeCloseTo(1 / 7, 12);
    expect(gamma.sharedGpuHours).toBeCloseTo(1 / 7, 12);
    expect(renderReportText(report)).toMatch(/gamma\s+\$1\.00 · 0\.1 GPU-h, 0\.1 on shared GPUs/);
    expect(renderReportHtml(report)).toContain('0.1 GPU-h, 0.1 on shared GPUs');
  });

  it('an odd split stays exact: largest remainder, the parts sum to the node-hour', () => {
    const hour = migNodeHour(
      [
        ['a1', 'alpha', 3],
        ['b1', 'beta', 2],
        ['g1', 'gamma', 1],
      ],
      1_000_000n,
    );
    // 1.000000 over sevenths: 3/7 = 0.428571…, 2/7 = 0.285714…, 1/7 = 0.142857… and idle 1/7.
    expect(hour.rows.map((r) => formatUsd(r.EffectiveCost)).sort()).toEqual(
      ['0.142857', '0.142857', '0.285714', '0.428572'].sort(),
    );
    expect(sumUsd(hour.rows.map((r) => r.EffectiveCost))).toBe(1_000_000n);
  });
});
