// One GPU model name from what schedulers and exporters call it: Slurm "h100", DCGM "NVIDIA H100 80GB HBM3", Kubernetes "NVIDIA-H100-80GB-HBM3".
import { resolveGpuModel } from '../pricing/gpu-models.ts';

export interface ResolvedGpuModel {
  name: string;
  /** 0 when neither the name nor the source says. */
  memoryGiB: number;
}

const MIB_PER_GIB = 1024;

/**
 * Tries the whole name, then each word of it (without vendor words), against the project's GPU table; a
 * memory figure in the name ("80GB") or given by the source picks the memory variant. An unknown model
 * keeps the source's name, so nothing is silently relabelled.
 */
export function canonicalGpuModel(sourceName: string, memoryMiB?: number): ResolvedGpuModel {
  const candidatesGiB: number[] = [];
  if (memoryMiB !== undefined && memoryMiB > 0) candidatesGiB.push(memoryMiB / MIB_PER_GIB);
  const inName = /(\d+)\s*GB/i.exec(sourceName);
  if (inName) candidatesGiB.push(Number(inName[1]));
  const words = sourceName
    .split(/[\s\-_/]+/)
    .filter((w) => w && !/^(nvidia|tesla|amd|instinct|geforce|sxm\d*|pcie|hbm\d*e?|\d+gb|shared)$/i.test(w));
  for (const candidate of [sourceName, ...words]) {
    const model = resolveGpuModel(candidate, candidatesGiB);
    if (model) return { name: model.name, memoryGiB: model.memoryGiB };
  }
  return { name: sourceName.trim() || 'unknown', memoryGiB: candidatesGiB[0] ?? 0 };
}
