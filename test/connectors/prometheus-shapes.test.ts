// DCGM shapes seen in the field: dcgm-exporter 1.x lower-case names, and a GPU in MIG mode seen only by its slices.
import { describe, expect, it } from 'vitest';
import { dcgmFieldOf, dcgmGpuKey, dcgmSliceKey } from '../../lib/connectors/prometheus/dcgm.ts';
import { parseExposition } from '../../lib/connectors/prometheus/exposition.ts';
import { createPrometheusDcgmSource } from '../../lib/connectors/prometheus/source.ts';
import { zUtilizationBatch } from '../../lib/domain/usage.ts';

const T0 = Date.parse('2026-03-02T10:00:00Z');

/** A dcgm-exporter 1.x page (written for this test after the 1.x exporter's metric names): lower case, `uuid`. */
const V1_PAGE = [
  '# HELP dcgm_gpu_utilization GPU utilization (in %).',
  '# TYPE dcgm_gpu_utilization gauge',
  'dcgm_gpu_utilization{gpu="0",uuid="GPU-aaaaaaaa-0000-4000-8000-000000000000"} 37',
  'dcgm_gpu_utilization{gpu="1",uuid="GPU-aaaaaaaa-0000-4000-8000-000000000001"} 0',
  'dcgm_fb_used{gpu="0",uuid="GPU-aaaaaaaa-0000-4000-8000-000000000000"} 1200',
].join('\n');

/**
 * A stub Prometheus answering query_range: each series carries its metric name and labels; the answer holds the
 * series whose name the query's selector asks for (a plain name or a __name__ regex), one value per step.
 */
function stubPrometheus(series: { metric: Record<string, string>; value: string }[]): typeof fetch {
  return (async (input: string | URL | Request) => {
    const url = new URL(String(input instanceof Request ? input.url : input));
    const query = url.searchParams.get('query')!;
    const start = Number(url.searchParams.get('start'));
    const end = Number(url.searchParams.get('end'));
    const step = Number(url.searchParams.get('step'));
    const regex = /__name__=~"([^"]+)"/.exec(query)?.[1];
    const names = regex ? regex.split('|') : [/last_over_time\((\w+)\{/.exec(query)![1]!];
    const result = series
      .filter((s) => names.includes(s.metric.__name__!))
      .map((s) => {
        const values: [number, string][] = [];
        for (let t = start; t <= end; t += step) values.push([t, s.value]);
        return { metric: s.metric, values };
      });
    return new Response(JSON.stringify({ status: 'success', data: { resultType: 'matrix', result } }));
  }) as typeof fetch;
}

describe('dcgm-exporter 1.x', () => {
  it('reads lower-case metric names and the `uuid` label (0 GPUs before)', () => {
    const page = parseExposition(V1_PAGE);
    expect(page.samples.map((s) => dcgmFieldOf(s.name))).toEqual([
      'DCGM_FI_DEV_GPU_UTIL',
      'DCGM_FI_DEV_GPU_UTIL',
      'DCGM_FI_DEV_FB_USED',
    ]);
    const keys = page.samples.map((s) => dcgmGpuKey({ ...s.labels, instance: 'gpu-host-1:9400' }));
    expect(keys.map((k) => k && [k.host, k.index, k.uuid.slice(-1)])).toEqual([
      ['gpu-host-1', 0, '0'],
      ['gpu-host-1', 1, '1'],
      ['gpu-host-1', 0, '0'],
    ]);
  });

  it('the source queries both names and makes batches from a 1.x exporter', async () => {
    const labels = (gpu: string) => ({
      gpu,
      uuid: `GPU-aaaaaaaa-0000-4000-8000-00000000000${gpu}`,
      instance: 'gpu-host-1:9400',
    });
    const source = createPrometheusDcgmSource({
      url: 'http://prometheus.invalid',
      sampleIntervalSeconds: 60,
      fetch: stubPrometheus([
        { metric: { __name__: 'dcgm_gpu_utilization', ...labels('0') }, value: '37' },
        { metric: { __name__: 'dcgm_gpu_utilization', ...labels('1') }, value: '0' },
        { metric: { __name__: 'dcgm_fb_used', ...labels('0') }, value: '1200' },
      ]),
    });
    const batches = await source.utilization(T0, T0 + 300_000);
    expect(batches).toHaveLength(1);
    expect(zUtilizationBatch.safeParse(batches[0]).success).toBe(true);
    expect(batches[0]!.gpus.map((g) => [g.index, g.readings[0]!.utilizationPct])).toEqual([
      [0, 37],
      [1, 0],
    ]);
  });
});

describe('a GPU in MIG mode with only per-slice series', () => {
  const parent = {
    gpu: '0',
    UUID: 'GPU-bbbbbbbb-0000-4000-8000-000000000000',
    modelName: 'NVIDIA H100 80GB HBM3',
    Hostname: 'mig-node',
  };
  const slice = (id: string, profile: string) => ({ ...parent, GPU_I_ID: id, GPU_I_PROFILE: profile });

  it('is one physical GPU: slice memory summed, SM activity weighted by each slice share', async () => {
    expect(dcgmGpuKey(slice('1', '3g.40gb'))).toBeUndefined();
    expect(dcgmSliceKey(slice('1', '3g.40gb'))).toMatchObject({ instanceId: '1', profile: '3g.40gb' });
    const source = createPrometheusDcgmSource({
      url: 'http://prometheus.invalid',
      sampleIntervalSeconds: 60,
      fetch: stubPrometheus([
        // 3g.40gb at 100% SM activity and 4g.40gb idle: 3/7 of the GPU busy.
        { metric: { __name__: 'DCGM_FI_PROF_SM_ACTIVE', ...slice('1', '3g.40gb') }, value: '1' },
        { metric: { __name__: 'DCGM_FI_PROF_SM_ACTIVE', ...slice('2', '4g.40gb') }, value: '0' },
        { metric: { __name__: 'DCGM_FI_DEV_FB_USED', ...slice('1', '3g.40gb') }, value: '30000' },
        { metric: { __name__: 'DCGM_FI_DEV_FB_USED', ...slice('2', '4g.40gb') }, value: '1000' },
      ]),
    });
    const batches = await source.utilization(T0, T0 + 300_000);
    expect(batches).toHaveLength(1);
    const gpus = batches[0]!.gpus;
    expect(gpus.map((g) => [g.index, g.uuid])).toEqual([[0, parent.UUID]]);
    const reading = gpus[0]!.readings[0]!;
    expect(reading.memoryUsedMiB).toBe(31000);
    expect(reading.smActivityPct).toBeCloseTo((100 * 3) / 7, 9);
  });
});
