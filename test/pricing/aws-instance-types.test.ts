// DescribeInstanceTypes answers of every age: GpuInfo, NeuronInfo, and the older InferenceAcceleratorInfo alone.
import type { InstanceTypeInfo } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { gpuDetailsOf } from '../../lib/pricing/aws-instance-types.ts';

describe('DescribeInstanceTypes shapes', () => {
  it('an inf1 answered only under InferenceAcceleratorInfo is kept, not dropped', () => {
    // The shape of an older answer (written for this test after the EC2 API reference): no GpuInfo, no NeuronInfo.
    const inf1: InstanceTypeInfo = {
      InstanceType: 'inf1.6xlarge',
      InferenceAcceleratorInfo: {
        Accelerators: [{ Count: 4, Name: 'Inferentia', Manufacturer: 'AWS' }],
        TotalInferenceMemoryInMiB: 32768,
      },
    };
    expect(gpuDetailsOf(inf1)).toMatchObject({
      instanceType: 'inf1.6xlarge',
      manufacturer: 'AWS',
      gpuCount: 4,
      gpuMemoryGiB: 8,
    });
  });

  it('GpuInfo still wins where both are given, and a type with no accelerator is none', () => {
    const g5: InstanceTypeInfo = {
      InstanceType: 'g5.12xlarge',
      GpuInfo: {
        Gpus: [{ Name: 'A10G', Manufacturer: 'NVIDIA', Count: 4, MemoryInfo: { SizeInMiB: 24576 } }],
      },
    };
    expect(gpuDetailsOf(g5)).toMatchObject({ gpuModel: 'A10G', gpuCount: 4, gpuMemoryGiB: 24 });
    expect(gpuDetailsOf({ InstanceType: 'm5.large' })).toBeUndefined();
  });
});
