// The bundled catalog loads whole, rejects bad rows with their line and reason, and maps offerings to pools and quotes.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { zPool } from '../../lib/domain/pool.ts';
import { zPriceQuote } from '../../lib/domain/price.ts';
import { parseUsd } from '../../lib/domain/money.ts';
import {
  createCatalogPriceSource,
  loadCatalog,
  parseCatalog,
  REGION_WIDE_ZONE,
} from '../../lib/pricing/catalog.ts';
import { onPremCatalog } from '../../lib/pricing/onprem.ts';
import { ValidationError } from '../../lib/domain/validation.ts';

const catalog = loadCatalog({ strict: true });
const offeringsCsv = readFileSync(new URL('../../data/catalog/offerings.csv', import.meta.url), 'utf8');
const spotRiskCsv = readFileSync(new URL('../../data/catalog/spot-risk.csv', import.meta.url), 'utf8');

describe('the bundled catalog', () => {
  it('loads every row of both files', () => {
    expect(catalog.report.rejected).toEqual([]);
    const dataLines = offeringsCsv.trim().split('\n').length - 1;
    expect(catalog.report.files).toContainEqual({
      file: 'offerings.csv',
      rows: dataLines,
      loaded: dataLines,
    });
    expect(catalog.offerings.length).toBeGreaterThan(1000);
  });

  it('offers H100 on AWS, GCP and Azure, with specs and $/TFLOPS-hour', () => {
    const h100 = catalog.find({ gpu: 'h100' });
    expect(new Set(h100.map((o) => o.provider))).toEqual(new Set(['aws', 'gcp', 'azure']));
    const p5 = catalog
      .find({ gpu: 'H100', provider: 'aws', region: 'us-east-1' })
      .find((o) => o.instanceType === 'p5.48xlarge');
    expect(p5).toMatchObject({ gpuCount: 8, gpuMemoryGiB: 80, interconnect: 'nvswitch', bf16Tflops: 989.4 });
    expect(p5!.onDemandUsdPerHour).toBe(parseUsd('55.040000'));
    expect(p5!.usdPerGpuHour).toBe(parseUsd('6.880000'));
    // 55.04 / (8 × 989.4) = 0.0069537…
    expect(p5!.usdPerTflopsHour).toBe(parseUsd('0.006954'));
  });

  it('marks exactly the figures the sources lack as modelled', () => {
    const aws = catalog.find({ provider: 'aws' });
    expect(aws.every((o) => o.spotModelled && o.reserved3yModelled)).toBe(true);
    expect(aws.some((o) => !o.reserved1yModelled)).toBe(true);
    for (const provider of ['gcp', 'azure']) {
      const offerings = catalog.find({ provider });
      expect(offerings.every((o) => o.reserved1yModelled && o.reserved3yModelled)).toBe(true);
      expect(offerings.filter((o) => !o.spotModelled).length).toBeGreaterThan(offerings.length * 0.9);
    }
  });

  it('filters by per-GPU memory', () => {
    const big = catalog.find({ minMemoryGiB: 80 });
    expect(big.length).toBeGreaterThan(0);
    expect(big.every((o) => o.gpuMemoryGiB >= 80)).toBe(true);
    expect(new Set(big.map((o) => o.gpuModel))).toContain('A100-80GB');
  });

  it('maps every offering to a valid region-wide pool with a unique id', () => {
    const pools = catalog.pools();
    for (const pool of pools) expect(zPool.safeParse(pool).success).toBe(true);
    expect(new Set(pools.map((p) => p.id)).size).toBe(pools.length);
    const p4d = pools.find((p) => p.id === `aws:us-east-1:${REGION_WIDE_ZONE}:p4d.24xlarge`);
    expect(p4d).toMatchObject({
      gpuModel: 'A100',
      gpusPerInstance: 8,
      gpuMemoryGiB: 40,
      interconnect: 'nvswitch',
    });
    expect(pools.find((p) => p.instanceType === 'p4de.24xlarge')?.gpuModel).toBe('A100-80GB');
    expect(pools.find((p) => p.instanceType === 'a3-megagpu-8g')?.interconnect).toBe('nvswitch');
    expect(pools.find((p) => p.instanceType === 'Standard_ND96isr_H100_v5')?.interconnect).toBe('nvswitch');
  });

  it('turns offerings into quotes the domain accepts, spot with its interruption rate, reserved with its term', () => {
    const asOf = Date.parse('2026-06-01T00:00:00Z');
    const quotes = catalog.quotes(asOf);
    for (const q of quotes.slice(0, 400)) {
      expect(zPriceQuote.safeDecode(zPriceQuote.encode(q)).success).toBe(true);
      expect(q.asOf).toBe('2026-06-01T00:00:00Z');
    }
    const pool = `aws:us-east-1:${REGION_WIDE_ZONE}:p5.48xlarge`;
    const p5 = quotes.filter((q) => q.poolId === pool);
    expect(p5.map((q) => [q.option, q.termYears ?? null, q.modelled])).toEqual([
      ['on-demand', null, false],
      ['spot', null, true],
      ['reserved', 1, true],
      ['reserved', 3, true],
    ]);
    const spot = p5.find((q) => q.option === 'spot')!;
    expect(spot.spotInterruptionRatePerHour).toBeGreaterThan(0);
    expect(spot.usdPerHour).toBeLessThan(p5[0]!.usdPerHour);
  });

  it('serves quotes as a PriceSource, filtered by pool and option', async () => {
    const source = createCatalogPriceSource({ catalog, asOf: () => Date.parse('2026-06-01T00:00:00Z') });
    const pool = `gcp:us-central1:${REGION_WIDE_ZONE}:a3-highgpu-8g`;
    const quotes = await source.quotes({ poolIds: [pool], options: ['spot'] });
    expect(quotes).toHaveLength(1);
    expect(quotes[0]).toMatchObject({ poolId: pool, option: 'spot', modelled: false, source: 'catalog' });
  });
});

describe('a catalog with bad rows', () => {
  it('loads the good rows and reports each bad one with its line and the field at fault', () => {
    const lines = offeringsCsv.trim().split('\n');
    const header = lines[0]!;
    const good = lines[1]!;
    const cells = good.split(',');
    const negative = [...cells];
    negative[12] = '-1.000000'; // on_demand_usd_per_hour
    const wrongPerGpu = [...cells];
    wrongPerGpu[19] = '999.000000'; // usd_per_gpu_hour disagrees with on-demand / count
    const text = [header, good, negative.join(','), 'aws,us-east-1,short-row', wrongPerGpu.join(',')].join(
      '\n',
    );
    const parsed = parseCatalog(text, spotRiskCsv);
    expect(parsed.offerings).toHaveLength(1);
    expect(parsed.report.rejected.map((r) => r.line)).toEqual([3, 4, 5]);
    expect(parsed.report.rejected[0]!.reason).toMatch(/on_demand_usd_per_hour/);
    expect(parsed.report.rejected[1]!.reason).toMatch(/has 3 cells/);
    expect(parsed.report.rejected[2]!.reason).toMatch(/usd_per_gpu_hour: is 999\.000000/);
    expect(parsed.report.files[0]).toEqual({ file: 'offerings.csv', rows: 4, loaded: 1 });
  });
});

describe('on-prem pools', () => {
  it('become pools with a fixed size and on-prem quotes at the configured cost per GPU-hour', () => {
    const onPrem = onPremCatalog({
      pools: [
        {
          cluster: 'lab',
          partition: 'gpu',
          nodeType: 'dgx-a100',
          gpuModel: 'a100-80gb',
          gpusPerNode: 8,
          nodes: 4,
          usdPerGpuHour: '1.25',
        },
      ],
    });
    expect(onPrem.pools[0]).toMatchObject({
      id: 'onprem:lab:gpu:dgx-a100',
      gpuModel: 'A100-80GB',
      gpuMemoryGiB: 80,
      maxInstances: 4,
    });
    expect(onPrem.quotes(Date.parse('2026-06-01T00:00:00Z'))).toEqual([
      {
        poolId: 'onprem:lab:gpu:dgx-a100',
        option: 'on-prem',
        usdPerHour: parseUsd('10.000000'),
        asOf: '2026-06-01T00:00:00Z',
        source: 'configured',
        modelled: false,
      },
    ]);
  });

  it('takes the cost as money, never a float: a JSON number or a sub-micro-dollar figure is refused', () => {
    const pool = {
      cluster: 'lab',
      partition: 'gpu',
      nodeType: 'n',
      gpuModel: 'T4',
      gpusPerNode: 4,
      nodes: 2,
    };
    for (const usdPerGpuHour of [1.25, '0.1234567'])
      expect(() => onPremCatalog({ pools: [{ ...pool, usdPerGpuHour }] })).toThrowError(
        /pools\[0\]\.usdPerGpuHour.*decimal string with at most 6 places/,
      );
  });

  it('refuses a configuration that names no cost, saying which field', () => {
    expect(() =>
      onPremCatalog({
        pools: [
          { cluster: 'lab', partition: 'gpu', nodeType: 'n', gpuModel: 'T4', gpusPerNode: 4, nodes: 2 },
        ],
      }),
    ).toThrowError(ValidationError);
    expect(() =>
      onPremCatalog({
        pools: [
          {
            cluster: 'lab',
            partition: 'gpu',
            nodeType: 'n',
            gpuModel: 'T4',
            gpusPerNode: 4,
            nodes: 2,
            usdPerGpuHour: 'cheap',
          },
        ],
      }),
    ).toThrowError(/pools\[0\]\.usdPerGpuHour/);
  });
});
