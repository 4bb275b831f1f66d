import { describe, expect, it } from 'vitest';
import { hourlyDemandByClass } from '../../forecasting/demand.ts';
import { allowsGpuModel } from '../../lib/connectors/gpu-model.ts';
import { rollup, workloadClass } from './helpers.ts';

describe('a class’s GPU models against what nodes report', () => {
  it.each([
    ['A100', 'NVIDIA A100-SXM4-40GB', true],
    ['A100', 'NVIDIA A100-SXM4-80GB', true],
    ['H100', 'NVIDIA H100 80GB HBM3', true],
    ['A100', 'NVIDIA H100 80GB HBM3', false],
    ['L40S', 'NVIDIA L4', false],
  ])('%s allows %s: %s', (allowed, reported, expected) => {
    expect(allowsGpuModel(allowed, reported)).toBe(expected);
  });

  it('counts a node reporting its driver’s model name in the class that allows that model', () => {
    const training = workloadClass({ id: 'training', team: 'research', allowedGpuModels: ['A100'] });
    const at = Date.parse('2026-03-02T10:00:00Z');
    const rollups = [rollup('n1', at, 8, 'research', 'NVIDIA A100-SXM4-40GB')];
    expect(hourlyDemandByClass(rollups, [training]).get('training')?.[0]?.gpus ?? 0).toBe(0);
    expect(hourlyDemandByClass(rollups, [training], allowsGpuModel).get('training')?.[0]?.gpus).toBe(8);
  });
});
