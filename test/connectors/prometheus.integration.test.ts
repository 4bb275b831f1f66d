// The Prometheus/DCGM connector against a real Prometheus (Debian package) backfilled with promtool.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ConnectorHttpError } from '../../lib/connectors/http.ts';
import { createPrometheusDcgmSource } from '../../lib/connectors/prometheus/source.ts';
import { parseRfc3339 } from '../../lib/domain/time.ts';
import { zUtilizationBatch, type NodeIdentity } from '../../lib/domain/usage.ts';
import {
  HISTORY_FB_TOTAL_MIB,
  HISTORY_GAP_HOUR,
  historyUtilPct,
  historyUuid,
  type HistorySpan,
} from '../services/dcgm-history.ts';
import { usePrometheus, type RunningService } from '../services/start.ts';
import { describeWithService } from '../support/services.ts';

describeWithService('prometheus', 'prometheus', 'Prometheus/DCGM connector on a real Prometheus', () => {
  let service: RunningService;
  let url: string;
  let span: HistorySpan;

  beforeAll(async () => {
    service = await usePrometheus();
    url = service.env.PROMETHEUS_URL!;
    span = {
      startS: Number(service.env.PROM_HISTORY_START),
      endS: Number(service.env.PROM_HISTORY_END),
      stepS: Number(service.env.PROM_HISTORY_STEP),
    };
  });
  afterAll(async () => service?.stop());

  const hourMs = 3_600_000;

  it('turns three hours of DCGM history into one valid batch per node and 5-minute window, gaps left out', async () => {
    const source = createPrometheusDcgmSource({ url, sampleIntervalSeconds: 60 });
    const fromMs = span.startS * 1000;
    const batches = await source.utilization(fromMs, fromMs + 3 * hourMs);
    for (const b of batches) expect(zUtilizationBatch.safeParse(b).success).toBe(true);
    const windowsOf = (node: string) =>
      batches.filter((b) => b.node.nodeId === node).map((b) => b.windowStart);
    expect(windowsOf('node1')).toHaveLength(36);
    // node2's exporter was down for one hour: those 12 windows have no batch rather than stale copies.
    const node2 = windowsOf('node2').map(parseRfc3339);
    expect(node2).toHaveLength(24);
    const gapStart = fromMs + HISTORY_GAP_HOUR * hourMs;
    expect(node2.filter((w) => w >= gapStart && w < gapStart + hourMs)).toEqual([]);
  });

  it('reads every DCGM field of every GPU as the exporter reported it', async () => {
    const source = createPrometheusDcgmSource({ url, sampleIntervalSeconds: 60 });
    const fromMs = span.startS * 1000;
    const [first] = (await source.utilization(fromMs, fromMs + 300_000)).filter(
      (b) => b.node.nodeId === 'node1',
    );
    expect(first!.gpus.map((g) => g.uuid)).toEqual([0, 1, 2, 3].map((g) => historyUuid(0, g)));
    const gpu1 = first!.gpus[1]!;
    expect(gpu1.memoryTotalMiB).toBe(HISTORY_FB_TOTAL_MIB);
    expect(gpu1.readings).toHaveLength(5);
    gpu1.readings.forEach((reading, k) => {
      // A reading is the last sample of its minute: the one 45 s after it at a 15 s scrape.
      const util = historyUtilPct(span, 0, 1, span.startS + k * 60 + 45);
      expect(reading).toEqual({
        at: new Date((span.startS + k * 60) * 1000).toISOString().replace('.000Z', 'Z'),
        utilizationPct: util,
        memoryUsedMiB: Math.floor((HISTORY_FB_TOTAL_MIB * util) / 100),
        powerW: 70 + 6 * util,
        temperatureC: 30 + Math.floor(util / 3),
        smActivityPct: expect.closeTo(util, 6),
      });
    });
  });

  it('tells busy hours from idle ones', async () => {
    const source = createPrometheusDcgmSource({ url, sampleIntervalSeconds: 300 });
    const fromMs = span.startS * 1000;
    const batches = await source.utilization(fromMs, fromMs + 2 * hourMs);
    const node1Gpu0 = batches
      .filter((b) => b.node.nodeId === 'node1')
      .map((b) => b.gpus[0]!.readings[0]!.utilizationPct!);
    expect(node1Gpu0.slice(0, 12).every((u) => u >= 90)).toBe(true);
    expect(node1Gpu0.slice(12, 24).every((u) => u <= 3)).toBe(true);
  });

  it('names nodes as their fleet does, and skips hosts the fleet does not know', async () => {
    const identity: NodeIdentity = {
      nodeId: 'slurm:gpu-lab:gpu1',
      provider: 'slurm',
      region: 'gpu-lab',
      zone: 'gpu',
      instanceType: 'h100x4',
      poolId: 'slurm:gpu-lab:gpu:h100x4',
      labels: {},
    };
    const source = createPrometheusDcgmSource({
      url,
      identify: async (hosts) => new Map(hosts.filter((h) => h === 'node1').map((h) => [h, identity])),
    });
    const fromMs = span.startS * 1000;
    const batches = await source.utilization(fromMs, fromMs + 600_000);
    expect(batches.map((b) => b.node.nodeId)).toEqual(['slurm:gpu-lab:gpu1', 'slurm:gpu-lab:gpu1']);
  });

  it('queries only the selected series, and reports a bad selector with Prometheus’s own reason', async () => {
    const fromMs = span.startS * 1000;
    const only2 = await createPrometheusDcgmSource({ url, selector: 'Hostname="node2"' }).utilization(
      fromMs,
      fromMs + 300_000,
    );
    expect(only2.map((b) => b.node.nodeId)).toEqual(['node2']);
    const bad = createPrometheusDcgmSource({ url, selector: 'Hostname=~' });
    await expect(bad.utilization(fromMs, fromMs + 300_000)).rejects.toThrow(ConnectorHttpError);
    await expect(bad.utilization(fromMs, fromMs + 300_000)).rejects.toThrow(/400.*parse error/);
  });
});
