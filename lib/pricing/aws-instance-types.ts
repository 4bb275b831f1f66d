// AWS GPU details per instance type from DescribeInstanceTypes (GpuInfo, NeuronInfo, InferenceAcceleratorInfo), with normalised GPU model names.
import {
  DescribeInstanceTypesCommand,
  type DescribeInstanceTypesCommandOutput,
  type InstanceTypeInfo,
} from '@aws-sdk/client-ec2';
import { inferInterconnect, type InterconnectFinding } from './interconnect.ts';
import { resolveGpuModel } from './gpu-models.ts';

export interface InstanceTypesApi {
  send(command: DescribeInstanceTypesCommand): Promise<DescribeInstanceTypesCommandOutput>;
}

/** Instance-type name patterns of the GPU and accelerator families (the API has no "has a GPU" filter). */
export const AWS_ACCELERATOR_TYPE_PATTERNS = ['p*', 'g*', 'trn*', 'inf*', 'dl*'] as const;

export interface AwsGpuDetails {
  instanceType: string;
  /** Normalised when the GPU model table knows it; otherwise the API's own name. */
  gpuModel: string;
  /** False when the model table does not know this accelerator. */
  gpuModelKnown: boolean;
  manufacturer: string;
  gpuCount: number;
  gpuMemoryGiB: number;
  interconnect: InterconnectFinding;
}

/** The GPU details of one instance type, or undefined when it carries no GPU or accelerator. */
export function gpuDetailsOf(info: InstanceTypeInfo): AwsGpuDetails | undefined {
  const type = info.InstanceType;
  if (!type) return undefined;
  const gpu = info.GpuInfo?.Gpus?.[0];
  const neuron = info.NeuronInfo?.NeuronDevices?.[0];
  // Older answers (inf1 before NeuronInfo existed) name the accelerator only here.
  const inference = info.InferenceAcceleratorInfo?.Accelerators?.[0];
  const name = gpu?.Name ?? neuron?.Name ?? inference?.Name;
  const count = gpu
    ? info.GpuInfo?.Gpus?.reduce((n, g) => n + (g.Count ?? 0), 0)
    : neuron
      ? neuron.Count
      : info.InferenceAcceleratorInfo?.Accelerators?.reduce((n, a) => n + (a.Count ?? 0), 0);
  const memoryMiB =
    gpu?.MemoryInfo?.SizeInMiB ??
    neuron?.MemoryInfo?.SizeInMiB ??
    inference?.MemoryInfo?.SizeInMiB ??
    (inference && count && info.InferenceAcceleratorInfo?.TotalInferenceMemoryInMiB
      ? info.InferenceAcceleratorInfo.TotalInferenceMemoryInMiB / count
      : undefined);
  if (!name || !count) return undefined;
  const memoryGiB = memoryMiB === undefined ? 0 : memoryMiB / 1024;
  const model = resolveGpuModel(name, memoryGiB ? [memoryGiB] : []);
  return {
    instanceType: type,
    gpuModel: model?.name ?? name,
    gpuModelKnown: model !== undefined,
    manufacturer: gpu?.Manufacturer ?? inference?.Manufacturer ?? 'AWS',
    gpuCount: count,
    gpuMemoryGiB: memoryGiB || (model?.memoryGiB ?? 0),
    interconnect: inferInterconnect('aws', type, count),
  };
}

/** Every GPU or accelerator instance type the region offers, following NextToken. */
export async function fetchAwsGpuDetails(api: InstanceTypesApi): Promise<AwsGpuDetails[]> {
  const out: AwsGpuDetails[] = [];
  let nextToken: string | undefined;
  do {
    const response = await api.send(
      new DescribeInstanceTypesCommand({
        Filters: [{ Name: 'instance-type', Values: [...AWS_ACCELERATOR_TYPE_PATTERNS] }],
        NextToken: nextToken,
      }),
    );
    for (const info of response.InstanceTypes ?? []) {
      const details = gpuDetailsOf(info);
      if (details) out.push(details);
    }
    nextToken = response.NextToken || undefined;
  } while (nextToken);
  return out;
}
