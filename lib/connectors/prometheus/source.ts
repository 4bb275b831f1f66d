// GPU utilization from Prometheus (DCGM exporter metrics) via /api/v1/query_range, as 5-minute batches per node.
import { poolId } from '../../domain/pool.ts';
import type { NodeIdentity, UtilizationBatch } from '../../domain/usage.ts';
import { describeZodError } from '../../domain/validation.ts';
import { windowStart } from '../../domain/time.ts';
import { partitionKey } from '../../domain/gpu.ts';
import { resolveGpuDevice } from '../gpu-model.ts';
import { createJsonHttp } from '../http.ts';
import type { UtilizationSource } from '../../domain/ports.ts';
import {
  DCGM_FIELDS,
  DcgmSamples,
  dcgmGpuKey,
  dcgmMetricNames,
  dcgmSliceKey,
  dcgmValue,
  type DcgmField,
  type DcgmLabelOptions,
} from './dcgm.ts';
import { zPromRangeResponse } from './schemas.ts';

export interface PrometheusDcgmOptions extends DcgmLabelOptions {
  url: string;
  /** Extra label matchers for every query, like `cluster="lab"` (without braces). */
  selector?: string;
  /** Seconds between readings; each reading is the last sample in the step that ends at it. */
  sampleIntervalSeconds?: number;
  /** Who a host is; undefined = not ours, its series are skipped. Default: an on-prem node named by the host. */
  identify?: (hosts: readonly string[]) => Promise<Map<string, NodeIdentity>>;
  /** Fixed per source so that a window read twice yields the same event id. */
  bootId?: string;
  headers?: () => Record<string, string>;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export class PrometheusQueryError extends Error {
  constructor(query: string, detail: string) {
    super(`prometheus query ${query}: ${detail}`);
    this.name = 'PrometheusQueryError';
  }
}

/** Prometheus refuses a range query of more than 11,000 points per series; stay under it. */
const MAX_POINTS_PER_QUERY = 10_000;

/** Without an identity source, a host is an on-prem node of its own pool, named by host and GPU model. */
export async function standaloneIdentities(
  hosts: readonly string[],
  models: Map<string, string>,
): Promise<Map<string, NodeIdentity>> {
  const out = new Map<string, NodeIdentity>();
  for (const host of hosts) {
    // A vGPU host ("GRID A100-10C") is its profile's pool, not the whole board's.
    const device = resolveGpuDevice(models.get(host) ?? 'unknown');
    const shared = partitionKey(device.partition);
    const model = shared ? `${device.physical.name}+${shared}` : device.physical.name;
    out.set(host, {
      nodeId: host,
      provider: 'onprem',
      region: 'prometheus',
      zone: 'prometheus',
      instanceType: model,
      poolId: poolId('onprem', 'prometheus', 'prometheus', model),
      labels: {},
    });
  }
  return out;
}

export function createPrometheusDcgmSource(options: PrometheusDcgmOptions): UtilizationSource {
  const http = createJsonHttp({
    connector: 'prometheus',
    baseUrl: options.url,
    timeoutMs: options.timeoutMs,
    fetch: options.fetch,
    headers: options.headers,
  });
  const stepS = options.sampleIntervalSeconds ?? 60;
  const bootId = options.bootId ?? 'prometheus-dcgm';

  async function queryRange(query: string, startS: number, endS: number) {
    const { json } = await http.request({
      path: '/api/v1/query_range',
      query: { query, start: String(startS), end: String(endS), step: String(stepS) },
    });
    const parsed = zPromRangeResponse.safeParse(json);
    if (!parsed.success) throw new PrometheusQueryError(query, describeZodError(parsed.error));
    if (parsed.data.status === 'error') {
      throw new PrometheusQueryError(query, `${parsed.data.errorType}: ${parsed.data.error}`);
    }
    return parsed.data.data.result;
  }

  return {
    async utilization(fromMs, toMs) {
      const startMs = windowStart(fromMs);
      if (toMs <= startMs) return [];
      const samples = new DcgmSamples();
      const models = new Map<string, string>();
      // A reading at r is the last sample in [r, r + step): last_over_time over (step - 1 ms) evaluated at
      // r + step - 1 ms. So a gap stays a gap (a bare selector repeats the last sample for 5 minutes) and a
      // window's readings come from inside the window only.
      const firstReadingS = startMs / 1000;
      const lastReadingS = Math.ceil(toMs / 1000) - stepS;
      const evalOffsetS = stepS - 0.001;
      for (const field of Object.keys(DCGM_FIELDS) as DcgmField[]) {
        // Every dcgm-exporter version's name for the field (1.x wrote dcgm_gpu_utilization, …).
        const names = dcgmMetricNames(field);
        const selector = options.selector ? `,${options.selector}` : '';
        const matcher =
          names.length === 1
            ? `${field}{${options.selector ?? ''}}`
            : `{__name__=~"${names.join('|')}"${selector}}`;
        const query = `last_over_time(${matcher}[${stepS * 1000 - 1}ms])`;
        for (let chunkS = firstReadingS; chunkS <= lastReadingS; chunkS += MAX_POINTS_PER_QUERY * stepS) {
          const endS = Math.min(lastReadingS, chunkS + (MAX_POINTS_PER_QUERY - 1) * stepS);
          for (const series of await queryRange(query, chunkS + evalOffsetS, endS + evalOffsetS)) {
            const key = dcgmGpuKey(series.metric, options);
            const slice = key ? undefined : dcgmSliceKey(series.metric, options);
            if (!key && !slice) continue;
            const gpu = key ?? slice!.gpu;
            models.set(gpu.host, gpu.model);
            for (const [t, text] of series.values) {
              const atMs = Math.round((t - evalOffsetS) * 1000);
              if (atMs < fromMs || atMs >= toMs) continue;
              if (key) samples.add(key, field, atMs, dcgmValue(field, text));
              else samples.addSlice(slice!, field, atMs, dcgmValue(field, text));
            }
          }
        }
      }
      const hosts = samples.hosts();
      const identities = options.identify
        ? await options.identify(hosts)
        : await standaloneIdentities(hosts, models);
      return samples.batches((host) => identities.get(host), bootId, stepS);
    },
  };
}

export type { UtilizationBatch };
