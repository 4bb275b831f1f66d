// The one GPU identity model: every source's name for a GPU or a share of one resolves to the physical GPU and its fraction.
import { describe, expect, it } from 'vitest';
import { resolveGpuDevice } from '../../lib/connectors/gpu-model.ts';
import { devicePriceUsd, migPartition, physicalGpusFor, timeSlicePartition } from '../../lib/domain/gpu.ts';

describe('resolveGpuDevice', () => {
  it.each([
    // [source name, hints, physical model, GiB, kind, profile, devices per GPU, compute share, memory share]
    ['NVIDIA-H100-80GB-HBM3-MIG-1g.10gb', { memoryMiB: 9984 }, 'H100', 80, 'mig', '1g.10gb', 7, '1/7', '1/8'],
    ['A100-SXM4-40GB-MIG-1g.5gb', { memoryMiB: 4864 }, 'A100', 40, 'mig', '1g.5gb', 7, '1/7', '1/8'],
    ['NVIDIA-A100-SXM4-40GB-MIG-3g.20gb', {}, 'A100', 40, 'mig', '3g.20gb', 2, '3/7', '1/2'],
    ['NVIDIA A100-SXM4-80GB', { migProfile: '2g.20gb' }, 'A100-80GB', 80, 'mig', '2g.20gb', 3, '2/7', '1/4'],
    ['GRID-A100-4C', { memoryMiB: 4096 }, 'A100', 40, 'vgpu', 'A100-4C', 10, '1/10', '1/10'],
    ['GRID A100-10C', {}, 'A100', 40, 'vgpu', 'A100-10C', 4, '1/4', '1/4'],
    ['NVIDIA A100D-20C', {}, 'A100-80GB', 80, 'vgpu', 'A100D-20C', 4, '1/4', '1/4'],
    ['Tesla-T4-SHARED', { replicas: 8 }, 'T4', 16, 'time-slice', undefined, 8, '1/8', '1/8'],
  ] as const)('%s', (name, hints, model, gib, kind, profile, perGpu, compute, memory) => {
    const device = resolveGpuDevice(name, hints);
    expect(device.physical).toEqual({ name: model, memoryGiB: gib });
    const p = device.partition!;
    expect([p.kind, p.profile, p.devicesPerGpu]).toEqual([kind, profile, perGpu]);
    expect(`${p.compute.num}/${p.compute.den}`).toBe(compute);
    expect(`${p.memory.num}/${p.memory.den}`).toBe(memory);
  });

  it('a whole GPU has no partition, and its memory figure picks the variant', () => {
    expect(resolveGpuDevice('NVIDIA-H100-80GB-HBM3', { memoryMiB: 81559 })).toEqual({
      physical: { name: 'H100', memoryGiB: 80 },
    });
  });
});

describe('counting and pricing shares', () => {
  it('slices are never counted as GPUs', () => {
    expect(physicalGpusFor(7, migPartition('1g.10gb', 80))).toBe(1);
    expect(physicalGpusFor(56, migPartition('1g.5gb', 40))).toBe(8);
    expect(physicalGpusFor(16, timeSlicePartition(8))).toBe(2);
    expect(physicalGpusFor(4, undefined)).toBe(4);
  });

  it('a 1g.10gb slice of an H100 costs 1/7 of the GPU hour by compute, 1/8 by memory', () => {
    const slice = migPartition('1g.10gb', 80);
    expect(devicePriceUsd(7_000_000n, slice)).toBe(1_000_000n);
    expect(devicePriceUsd(7_000_000n, slice, 'memory')).toBe(875_000n);
    expect(devicePriceUsd(1_000_000n, slice)).toBe(142_857n);
  });
});

describe('ingest keeps the partition a snapshot reports', () => {
  it('a stored node takes gpuPartition from the newer snapshot', async () => {
    const { applyMessages } = await import('../../lib/ingest/fleet-state.ts');
    const { zFleetNode } = await import('../../lib/domain/fleet.ts');
    const base = zFleetNode.parse({
      nodeId: 'k8s:lab:mig',
      provider: 'kubernetes',
      poolId: 'p',
      region: 'r',
      zone: 'z',
      instanceType: 't',
      purchaseOption: 'on-demand',
      state: 'running',
      gpuModel: 'H100',
      gpuCount: 1,
    });
    const partition = migPartition('1g.10gb', 80)!;
    const fields = applyMessages(base, [
      {
        kind: 'snapshot-node',
        eventId: 'e1',
        time: '2026-03-02T10:00:00Z',
        node: { ...base, gpuPartition: { ...partition, devicesOnNode: 7 } },
      },
    ]);
    expect(fields.gpuPartition).toEqual({ ...partition, devicesOnNode: 7 });
  });
});
