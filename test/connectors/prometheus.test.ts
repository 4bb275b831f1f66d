// The DCGM mapping on real dcgm-exporter pages and a recorded query_range answer: labels, blanks, MIG, units.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dcgmGpuKey, dcgmValue, DCGM_FIELDS, type DcgmField } from '../../lib/connectors/prometheus/dcgm.ts';
import { parseExposition } from '../../lib/connectors/prometheus/exposition.ts';
import { zPromRangeResponse } from '../../lib/connectors/prometheus/schemas.ts';
import { createPrometheusDcgmSource } from '../../lib/connectors/prometheus/source.ts';
import { zUtilizationBatch } from '../../lib/domain/usage.ts';

const read = (dir: string, name: string) =>
  readFileSync(join(import.meta.dirname, '../fixtures', dir, name), 'utf8');
const isField = (name: string): name is DcgmField => name in DCGM_FIELDS;

describe('dcgm-exporter pages', () => {
  it('T4 hosts (Datadog capture): every GPU series maps to a host and GPU; label-less dummy series do not', () => {
    const page = parseExposition(read('dcgm', 'datadog-integrations-core__dcgm_tests_fixtures_metrics.txt'));
    expect(page.rejected).toEqual([]);
    const gpus = new Set(
      page.samples
        .map((s) => dcgmGpuKey(s.labels))
        .filter(Boolean)
        .map((k) => `${k!.host}/${k!.index} ${k!.model}`),
    );
    expect([...gpus].sort()).toEqual([
      '424773df46e0/0 Tesla T4',
      '551bdf382151/0 Tesla T4',
      'ip-11111/0 NVIDIA A10G',
    ]);
    expect(
      page.samples.some((s) => Object.keys(s.labels).length === 0 && dcgmGpuKey(s.labels) === undefined),
    ).toBe(true);
  });

  it('A100 with MIG: the whole GPU counts once, MIG instances are left out, profiling ratios become percent', () => {
    const page = parseExposition(
      read('dcgm', 'nvidia-cloud-native-docs__dcgm-exporter_A100-MIG_metrics.txt'),
    );
    expect(page.rejected).toEqual([]);
    const whole = page.samples.filter((s) => dcgmGpuKey(s.labels) !== undefined);
    const mig = page.samples.filter((s) => s.labels.GPU_I_ID);
    expect(mig.length).toBeGreaterThan(0);
    expect(whole.every((s) => !s.labels.GPU_I_ID)).toBe(true);
    expect(new Set(whole.map((s) => dcgmGpuKey(s.labels)!.host))).toEqual(new Set(['ub20-a100-k8s']));
    for (const s of whole.filter((x) => isField(x.name))) {
      const value = dcgmValue(s.name as DcgmField, s.value);
      if (s.name === 'DCGM_FI_PROF_SM_ACTIVE') expect(value).toBeCloseTo(Number(s.value) * 100, 6);
    }
  });

  it('the quick-start excerpt: its "..." elisions are rejected by line, and the blank sentinel reads as no value', () => {
    const page = parseExposition(
      read('dcgm', 'nvidia-cloud-native-docs__dcgm-exporter_quickstart_metrics_elided.txt'),
    );
    expect(page.rejected.map((r) => r.text.trim())).toEqual(expect.arrayContaining(['...']));
    expect(page.samples.length).toBeGreaterThan(0);
    expect(dcgmValue('DCGM_FI_DEV_GPU_TEMP', '9223372036854775794')).toBeNull();
    expect(dcgmValue('DCGM_FI_DEV_GPU_UTIL', 'NaN')).toBeNull();
    expect(dcgmValue('DCGM_FI_DEV_GPU_UTIL', '140')).toBeNull();
    expect(dcgmValue('DCGM_FI_DEV_POWER_USAGE', '312.5')).toBe(312.5);
  });

  it('the recipe page: H100 node1, four GPUs by index and UUID', () => {
    const page = parseExposition(read('dcgm', 'dcgm_metrics_node1.prom'));
    const keys = page.samples
      .filter((s) => s.name === 'DCGM_FI_DEV_GPU_UTIL')
      .map((s) => dcgmGpuKey(s.labels)!);
    expect(keys.map((k) => [k.host, k.index, k.model])).toEqual(
      [0, 1, 2, 3].map((g) => ['node1', g, 'NVIDIA H100 80GB HBM3']),
    );
  });
});

describe('a recorded query_range answer', () => {
  it('parses and becomes valid batches (served to the source by a stub fetch)', async () => {
    const body = read('prometheus', 'prom_query_range_backfill_node1.json');
    const parsed = zPromRangeResponse.parse(JSON.parse(body));
    expect(parsed.status).toBe('success');
    const first = parsed.status === 'success' ? parsed.data.result[0]!.values[0]![0] : 0;
    const stub = (async () => new Response(body, { status: 200 })) as typeof fetch;
    const source = createPrometheusDcgmSource({
      url: 'http://prometheus.invalid',
      fetch: stub,
      sampleIntervalSeconds: 300,
    });
    // The stub answers every field's query with GPU_UTIL figures; what matters is shape and windows.
    const batches = await source.utilization(first * 1000 - 300_000 + 1, first * 1000 + 3_600_000);
    expect(batches.length).toBeGreaterThan(0);
    for (const b of batches) expect(zUtilizationBatch.safeParse(b).success).toBe(true);
  });

  it('reports an error answer with its type and reason', async () => {
    const stub = (async () =>
      new Response(
        JSON.stringify({
          status: 'error',
          errorType: 'timeout',
          error: 'query timed out in expression evaluation',
        }),
        { status: 200 },
      )) as typeof fetch;
    const source = createPrometheusDcgmSource({ url: 'http://prometheus.invalid', fetch: stub });
    await expect(source.utilization(0, 600_000)).rejects.toThrow(/timeout: query timed out/);
  });
});
