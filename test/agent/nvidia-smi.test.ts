import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  detectFormat,
  NvidiaSmiFailedError,
  NvidiaSmiFormatError,
  parseAppsQuery,
  parseGpuQuery,
  parseSmiTimestamp,
} from '../../lib/agent/nvidia-smi.ts';

const DIR = new URL('../fixtures/nvidia-smi/', import.meta.url);
const read = (name: string) => readFileSync(new URL(name, DIR), 'utf8');
const AT = '2026-03-02T10:00:00Z';

/** What the agent does with every real output: reads it (GPUs or processes found) or names why not. */
const EXPECTED: Record<
  string,
  { gpus: number } | { apps: number } | { rejects: string } | { fails: RegExp }
> = {
  'gpud__nvidia-smi-query.535.129.03.out.0.valid.a10.txt': { rejects: 'query-text' },
  'gpud__nvidia-smi-query.535.154.05.out.0.valid.4090.txt': { rejects: 'query-text' },
  'gpud__nvidia-smi-query.535.161.08.out.0.valid.txt': { rejects: 'query-text' },
  'gpud__nvidia-smi-query.535.183.01.out.0.invalid.txt': { rejects: 'query-text' },
  'gpud__nvidia-smi-query.560.35.03.out.0.valid.txt': { rejects: 'query-text' },
  'gpud__nvidia-smi.525.125.06.out.0.valid.txt': { rejects: 'table' },
  'gpud__nvidia-smi.550.90.07.out.0.valid.txt': { rejects: 'table' },
  'issue_i3pystatus-776_noheader-nounits_NA.txt': { rejects: 'csv' },
  'issue_i3pystatus-776_noheader-nounits_NotSupported.txt': { rejects: 'csv' },
  'issue_megaminer-235_csv-noheader_gtx770_NotSupported.csv': { rejects: 'csv' },
  'issue_tuxclocker-15_csv_gtx650_NotSupported.txt': { rejects: 'csv' },
  'issue_self-hosted-runners-40_driver-failed.txt': { fails: /couldn't communicate with the NVIDIA driver/ },
  'issue_shine-cluster-50_nvml-mismatch.txt': { fails: /Failed to initialize NVML/ },
  'netdata-go.d__a100-sxm4-mig.xml': { rejects: 'query-xml' },
  'netdata-go.d__tesla-p100.csv': { gpus: 1 },
  'nvidia-cloud-native-docs__mig-mixed-nvidia-smi.txt': { rejects: 'list' },
  'nvidia-cloud-native-docs__mig-nvidia-smi.txt': { rejects: 'list' },
  'nvidia_gpu_exporter_capture__linux-x86_64__nvidia-geforce-rtx-4080-super__595.71.05.txt': {
    rejects: 'capture',
  },
  'nvidia_gpu_exporter_capture__linux-x86_64__nvidia-h100-mig__590.48.01.txt': { rejects: 'capture' },
  'nvidia_gpu_exporter_capture__linux-x86_64__nvidia-h200__590.48.01.txt': { rejects: 'capture' },
  'nvidia_gpu_exporter_capture__linux-x86_64__nvidia-l40s__595.80.txt': { rejects: 'capture' },
  'nvidia_gpu_exporter_capture__windows-x86_64__nvidia-geforce-rtx-2080-super__610.62.txt': {
    rejects: 'capture',
  },
  'nvidia_gpu_exporter_section__h100-mig_idle_query-compute-apps_header-only.csv': { apps: 0 },
  'nvidia_gpu_exporter_section__h100-mig_load_default-table.txt': { rejects: 'table' },
  'nvidia_gpu_exporter_section__h100-mig_load_query-compute-apps.csv': { apps: 3 },
  'nvidia_gpu_exporter_section__h100-mig_load_query-gpu.csv': { gpus: 1 },
  'nvidia_gpu_exporter_section__rtx-4080-super_load_default-table.txt': { rejects: 'table' },
  'nvidia_gpu_exporter_section__rtx-4080-super_load_query-compute-apps.csv': { apps: 3 },
  'synthetic__2x-a10g_query-compute-apps_noheader-nounits.csv': { apps: 2 },
  'synthetic__2x-a10g_query-gpu_noheader-nounits.csv': { gpus: 120 },
  'telegraf__a100-sxm4-v12.xml': { rejects: 'query-xml' },
  'telegraf__a10g.xml': { rejects: 'query-xml' },
  'telegraf__rtx-4000-sff-ada-v13.xml': { rejects: 'query-xml' },
  'telegraf__tesla-t4.xml': { rejects: 'query-xml' },
};

describe('every nvidia-smi fixture is read or clearly refused', () => {
  const files = readdirSync(DIR).filter((f) => f !== 'SOURCES.md');

  it('has an expectation for every fixture file', () => {
    expect(files.sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const file of files) {
    it(file, () => {
      const text = read(file);
      const expected = EXPECTED[file]!;
      if ('gpus' in expected) expect(parseGpuQuery(text, AT)).toHaveLength(expected.gpus);
      else if ('apps' in expected) expect(parseAppsQuery(text)).toHaveLength(expected.apps);
      else if ('fails' in expected) {
        expect(() => parseGpuQuery(text, AT)).toThrow(NvidiaSmiFailedError);
        expect(() => parseGpuQuery(text, AT)).toThrow(expected.fails);
      } else {
        const error = (() => {
          try {
            parseGpuQuery(text, AT);
          } catch (e) {
            return e;
          }
        })();
        expect(error).toBeInstanceOf(NvidiaSmiFormatError);
        expect((error as NvidiaSmiFormatError).format).toBe(expected.rejects);
        expect(detectFormat(text)).toBe(expected.rejects);
      }
    });
  }
});

describe('parseGpuQuery', () => {
  it('reads the agent query, turning [N/A] into null and the zone-less timestamp into UTC', () => {
    const rows = parseGpuQuery(read('synthetic__2x-a10g_query-gpu_noheader-nounits.csv'), AT);
    expect(rows[0]).toEqual({
      at: '2026-03-02T10:00:00Z',
      index: 0,
      uuid: 'GPU-5d3f0a5e-1c2b-4e8f-9a0d-7b6c5e4d3a21',
      model: 'NVIDIA A10G',
      utilizationPct: 60,
      memoryUsedMiB: 18000,
      memoryTotalMiB: 23028,
      powerW: 210.25,
      temperatureC: 46,
    });
    expect(rows[1]!.powerW).toBeNull();
  });

  it('reads a MIG GPU, whose utilization nvidia-smi does not report, from a 250-column header CSV with units', () => {
    const [h100] = parseGpuQuery(read('nvidia_gpu_exporter_section__h100-mig_load_query-gpu.csv'), AT);
    expect(h100).toMatchObject({
      at: '2026-07-14T09:00:44.579Z',
      model: 'NVIDIA H100 80GB HBM3',
      utilizationPct: null,
      memoryUsedMiB: 11125,
      memoryTotalMiB: 81559,
      powerW: 433.78,
    });
  });

  it('accepts [Not Supported] anywhere a reading may be missing', () => {
    const text =
      '2026/03/02 10:00:00.000, 0, GPU-a, GeForce GTX 650, [Not Supported], 100, 1024, [Not Supported], 40\n';
    expect(parseGpuQuery(text, AT)[0]).toMatchObject({
      utilizationPct: null,
      powerW: null,
      memoryUsedMiB: 100,
    });
  });

  it('names the line and column of a cell that is not a number', () => {
    const text = '2026/03/02 10:00:00.000, 0, GPU-a, A10G, lots, 100, 1024, 50, 40\n';
    expect(() => parseGpuQuery(text, AT)).toThrow(/line 1: utilization.gpu is not a number: "lots"/);
  });

  it('reads an empty output as no GPUs', () => {
    expect(parseGpuQuery('', AT)).toEqual([]);
  });

  it('rejects timestamps it cannot read rather than guessing', () => {
    expect(parseSmiTimestamp('Wed Sep 25 10:40:24 2024')).toBeNull();
    expect(parseSmiTimestamp('2026/07/14 09:00:44.742')).toBe('2026-07-14T09:00:44.742Z');
  });
});

describe('parseAppsQuery', () => {
  it('reads processes with and without units, [N/A] memory as null', () => {
    expect(parseAppsQuery(read('synthetic__2x-a10g_query-compute-apps_noheader-nounits.csv'))).toEqual([
      { gpuUuid: 'GPU-5d3f0a5e-1c2b-4e8f-9a0d-7b6c5e4d3a21', pid: 4242, usedMemoryMiB: 17890 },
      { gpuUuid: 'GPU-9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b', pid: 5151, usedMemoryMiB: null },
    ]);
    expect(
      parseAppsQuery(read('nvidia_gpu_exporter_section__h100-mig_load_query-compute-apps.csv'))[2],
    ).toEqual({
      gpuUuid: 'GPU-00000000-0000-0000-0000-000000000000',
      pid: 21198,
      usedMemoryMiB: 7484,
    });
  });

  it('reads "No running processes found" as none', () => {
    expect(parseAppsQuery('No running processes found\n')).toEqual([]);
  });
});

describe('nvidia-smi --query-gpu CSV without a uuid column', () => {
  // Written for this test after what users run: index,name,utilization,memory, with N/A and [N/A] cells.
  const one = [
    'index, name, utilization.gpu [%], memory.used [MiB], memory.total [MiB]',
    '0, NVIDIA GeForce RTX 3090, [N/A], 1024 MiB, 24576 MiB',
  ].join('\n');
  const eight = [
    'index,name,utilization.gpu,memory.used,memory.total',
    ...[0, 1, 2, 3, 4, 5, 6, 7].map(
      (i) => `${i},NVIDIA A100-SXM4-40GB,${i === 3 ? 'N/A' : i * 10},${i * 100},40960`,
    ),
  ].join('\r\n');

  it('keys GPUs by index on the node (refused before: "missing uuid")', () => {
    const gpus = parseGpuQuery(one, AT);
    expect(gpus).toEqual([
      expect.objectContaining({ index: 0, uuid: 'index:0', utilizationPct: null, memoryUsedMiB: 1024 }),
    ]);
    const many = parseGpuQuery(eight, AT);
    expect(many.map((g) => g.uuid)).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((i) => `index:${i}`));
    expect(many[3]!.utilizationPct).toBeNull();
    expect(many[7]!.utilizationPct).toBe(70);
  });

  it('still refuses a CSV with neither uuid nor index, and an unclosed quote with its line', () => {
    expect(() => parseGpuQuery('name,utilization.gpu\nA100,5\n', AT)).toThrow(/missing uuid or index/);
    expect(() => parseGpuQuery('index,name\n0,"A100\n', AT)).toThrow(
      /line 2, column 3: a quoted cell is not closed/,
    );
  });
});
