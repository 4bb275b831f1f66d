// One GPU model name from what schedulers and exporters call it: Slurm "h100", DCGM "NVIDIA H100 80GB HBM3", Kubernetes "NVIDIA-H100-80GB-HBM3".
import {
  migBoardMemoryGb,
  migPartition,
  parseVgpuProfile,
  splitMigProduct,
  timeSlicePartition,
  vgpuPartition,
  type GpuPartition,
} from '../domain/gpu.ts';
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

/** A GPU as a source names it, resolved to its physical model and, for a share of one, the partition. */
export interface ResolvedGpuDevice {
  physical: ResolvedGpuModel;
  partition?: GpuPartition;
}

export interface GpuDeviceHints {
  /** Memory the source reports for the device (MiB): a MIG slice's or a vGPU's own, not the board's. */
  memoryMiB?: number;
  /** A MIG profile given apart from the name (DCGM's GPU_I_PROFILE label). */
  migProfile?: string;
  /** Time-slicing replicas per physical GPU (Kubernetes nvidia.com/gpu.replicas). */
  replicas?: number;
}

/**
 * The one mapping from a source's device name to the domain's GPU identity: "NVIDIA-H100-80GB-HBM3-MIG-1g.10gb"
 * is 1/7 of an H100, "GRID-A100-4C" a tenth of an A100 40GB, "Tesla-T4-SHARED" with 8 replicas an eighth of a T4.
 * The physical model never takes its memory from a slice's or a vGPU's memory figure.
 */
export function resolveGpuDevice(sourceName: string, hints: GpuDeviceHints = {}): ResolvedGpuDevice {
  const mig = splitMigProduct(sourceName);
  const migProfile = mig?.profile ?? hints.migProfile;
  if (migProfile) {
    const parentName = mig?.parent ?? sourceName;
    let physical = canonicalGpuModel(parentName);
    let partition = migPartition(migProfile, physical.memoryGiB || undefined);
    const boardGb = migBoardMemoryGb(migProfile);
    if (physical.memoryGiB === 0 && boardGb !== undefined) {
      // The parent's memory from the profile's geometry (1g.5gb slices are cut from a 40 GB board).
      physical = canonicalGpuModel(parentName, boardGb * MIB_PER_GIB);
      partition = migPartition(migProfile, physical.memoryGiB || boardGb);
    }
    if (partition) return { physical, partition };
  }
  const vgpu = parseVgpuProfile(sourceName);
  if (vgpu) {
    const physical = canonicalGpuModel(vgpu.board, vgpu.largeBoard ? 80 * MIB_PER_GIB : undefined);
    const partition = physical.memoryGiB > 0 ? vgpuPartition(vgpu, physical.memoryGiB) : undefined;
    if (partition) return { physical, partition };
  }
  const name = sourceName.replace(/[\s-]+SHARED$/i, '');
  const physical = canonicalGpuModel(name, hints.memoryMiB);
  const partition = timeSlicePartition(hints.replicas ?? 1);
  return partition ? { physical, partition } : { physical };
}

const ALLOWS = new Map<string, boolean>();

/**
 * Whether a reported device is a model a workload class allows: the class names a model ("A100") and the node
 * reports what its driver calls it ("NVIDIA A100-SXM4-40GB"); a memory variant ("A100-80GB") is an A100 too.
 */
export function allowsGpuModel(allowed: string, reported: string): boolean {
  if (allowed === reported) return true;
  // Called for every rollup of every class the forecast run reads; a fleet has a handful of names.
  const key = `${allowed}\u0000${reported}`;
  let allows = ALLOWS.get(key);
  if (allows === undefined) {
    const want = canonicalGpuModel(allowed).name;
    const seen = resolveGpuDevice(reported).physical.name;
    allows = seen === want || seen.startsWith(`${want}-`);
    ALLOWS.set(key, allows);
  }
  return allows;
}
