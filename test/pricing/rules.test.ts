// The catalog's stated rules: GPU name normalisation, interconnect inference, modelled rates and trace statistics.
import { describe, expect, it } from 'vitest';
import { parseUsd } from '../../lib/domain/money.ts';
import { resolveGpuModel } from '../../lib/pricing/gpu-models.ts';
import { inferInterconnect, interconnectFromSource } from '../../lib/pricing/interconnect.ts';
import { applyModels, measureRatios } from '../../lib/pricing/modelling.ts';
import { derivedFigures, type Offering } from '../../lib/pricing/offering.ts';
import { coefficientOfVariation, sampledTracePoints, stepTraceStats } from '../../lib/pricing/spot-risk.ts';

function offering(
  fields: Partial<Offering> & Pick<Offering, 'provider' | 'gpuModel' | 'onDemandUsdPerHour'>,
): Offering {
  const base = {
    region: 'r',
    instanceType: 't',
    gpuCount: 1,
    gpuMemoryGiB: 80,
    interconnect: 'pcie' as const,
    interconnectInferred: true,
    spotModelled: false,
    reserved1yModelled: false,
    reserved3yModelled: false,
    asOf: '2026-05-20T00:00:00Z',
    ...fields,
  };
  return { ...base, ...derivedFigures(base) };
}

describe('GPU names', () => {
  it('normalise source names, and memory picks the variant', () => {
    expect(resolveGpuModel('NVIDIA H100')?.name).toBe('H100');
    expect(resolveGpuModel('H100-MEGA')?.name).toBe('H100');
    expect(resolveGpuModel('NVIDIA A100', [640, 80])?.name).toBe('A100-80GB');
    expect(resolveGpuModel('NVIDIA A100', [320, 40])?.name).toBe('A100');
    expect(resolveGpuModel('NVIDIA V100', [32, 4])?.name).toBe('V100-32GB');
    expect(resolveGpuModel('tesla t4')?.name).toBe('T4');
    expect(resolveGpuModel('NVIDIA GRID K520')).toBeUndefined();
  });
});

describe('interconnect', () => {
  it('takes the source where it speaks and the family rule elsewhere', () => {
    expect(interconnectFromSource('aws', 'p4d.24xlarge', 8, '600 GB/s NVSwitch')).toEqual({
      interconnect: 'nvswitch',
      inferred: false,
    });
    expect(inferInterconnect('aws', 'p3.16xlarge', 8)).toEqual({ interconnect: 'nvlink', inferred: true });
    expect(inferInterconnect('gcp', 'a2-highgpu-4g', 4).interconnect).toBe('nvlink');
    expect(inferInterconnect('gcp', 'a3-highgpu-8g', 8).interconnect).toBe('nvswitch');
    expect(inferInterconnect('azure', 'Standard_ND96isr_H100_v5', 8).interconnect).toBe('nvswitch');
    expect(inferInterconnect('azure', 'Standard_ND40rs_v2', 8).interconnect).toBe('nvlink');
    expect(inferInterconnect('aws', 'g5.48xlarge', 8).interconnect).toBe('pcie');
    expect(inferInterconnect('aws', 'p5.4xlarge', 1).interconnect).toBe('pcie');
  });
});

describe('modelled rates', () => {
  const published = [
    offering({
      provider: 'gcp',
      gpuModel: 'H100',
      onDemandUsdPerHour: parseUsd('10'),
      spotUsdPerHour: parseUsd('3'),
    }),
    offering({
      provider: 'azure',
      gpuModel: 'H100',
      onDemandUsdPerHour: parseUsd('10'),
      spotUsdPerHour: parseUsd('5'),
    }),
    // A "spot" rate equal to on-demand is no market and is not measured.
    offering({
      provider: 'azure',
      gpuModel: 'H100',
      onDemandUsdPerHour: parseUsd('10'),
      spotUsdPerHour: parseUsd('10'),
    }),
    offering({
      provider: 'gcp',
      gpuModel: 'T4',
      onDemandUsdPerHour: parseUsd('1'),
      spotUsdPerHour: parseUsd('0.2'),
    }),
    offering({
      provider: 'aws',
      gpuModel: 'T4',
      onDemandUsdPerHour: parseUsd('1'),
      reserved1yUsdPerHour: parseUsd('0.6'),
    }),
  ];
  const ratios = measureRatios(published);

  it('fill AWS spot from AWS figures only (not the other clouds), and 3-year from the 1-year ratio squared', () => {
    expect(ratios.spot.get('H100')).toEqual({ ratio: 0.4, offerings: 2, basis: 'H100' });
    const aws = applyModels(
      offering({ provider: 'aws', gpuModel: 'H100', onDemandUsdPerHour: parseUsd('50') }),
      ratios,
    );
    // No recorded AWS H100 spot series: the published p4d figure, (6 + 19) / 2 / 21.96 of on-demand.
    expect(aws.spotUsdPerHour).toBe(parseUsd('28.460838'));
    expect(aws.spotModelled).toBe(true);
    // No AWS 1-year H100 rate was published: the ratio of all GPUs (0.6) stands in.
    expect(aws.reserved1yUsdPerHour).toBe(parseUsd('30'));
    expect(aws.reserved3yUsdPerHour).toBe(parseUsd('18'));
    expect([aws.reserved1yModelled, aws.reserved3yModelled]).toEqual([true, true]);
  });

  it('leave published figures alone', () => {
    const gcp = applyModels(published[0]!, ratios);
    expect(gcp.spotUsdPerHour).toBe(parseUsd('3'));
    expect(gcp.spotModelled).toBe(false);
    expect(gcp.reserved1yModelled).toBe(true);
  });
});

describe('spot traces', () => {
  it('count every fall in the instance count against the instance-hours alive', () => {
    // 2 instances for 1 h, one lost, 1 for 1 h, back to 2 for 0.5 h, both lost.
    const stats = stepTraceStats([
      { hours: 0, instances: 2 },
      { hours: 1, instances: 1 },
      { hours: 2, instances: 2 },
      { hours: 2.5, instances: 0 },
    ]);
    expect(stats).toEqual({ interruptions: 3, instanceHours: 4 });
    expect(stepTraceStats(sampledTracePoints([1, 1, 0, 1], 1800))).toEqual({
      interruptions: 1,
      instanceHours: 1,
    });
  });

  it('measure price volatility as the coefficient of variation', () => {
    expect(coefficientOfVariation([2, 2, 2])).toBe(0);
    expect(coefficientOfVariation([1, 3])).toBeCloseTo(Math.SQRT2 / 2, 10);
  });
});
