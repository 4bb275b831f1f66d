// One GPU identity: a physical GPU, or a share of one (MIG instance, vGPU profile, time-sliced replica) with its exact fraction.
import { z } from 'zod';

/**
 * How a physical GPU is shared. A node's `gpuCount` always counts physical GPUs; a partition says what the
 * scheduler hands out instead (devices), and what share of the physical GPU each device is.
 */
export const GPU_PARTITION_KINDS = ['mig', 'vgpu', 'time-slice'] as const;
export type GpuPartitionKind = (typeof GPU_PARTITION_KINDS)[number];

/** What a share of a GPU is measured by: its compute (MIG slices, time) or its memory (framebuffer). */
export const GPU_SHARE_BASES = ['compute', 'memory'] as const;
export type GpuShareBasis = (typeof GPU_SHARE_BASES)[number];

/** An exact fraction of one physical GPU (integers, so that splits stay exact). */
export const zGpuFraction = z.object({
  num: z.number().int().min(1).max(1024),
  den: z.number().int().min(1).max(1024),
});
export type GpuFraction = z.infer<typeof zGpuFraction>;

export const zGpuPartition = z.object({
  kind: z.enum(GPU_PARTITION_KINDS),
  /** The profile as the vendor names it: MIG "1g.10gb", vGPU "A100-4C"; time-slicing has none. */
  profile: z.string().min(1).max(64).optional(),
  /** Devices of this profile one physical GPU holds (MIG 1g → 7, 3g → 2; time-slicing: its replicas). */
  devicesPerGpu: z.number().int().min(1).max(1024),
  /** One device's share of the physical GPU's compute. */
  compute: zGpuFraction,
  /** One device's share of the physical GPU's memory. */
  memory: zGpuFraction,
  /**
   * Devices a node holds (on a node, not a pool). A vGPU VM owns only its vGPUs, so its hour is theirs; a node
   * with MIG or time-slicing owns its physical GPUs whole, and what no device holds is idle.
   */
  devicesOnNode: z.number().int().min(0).max(65536).optional(),
});
export type GpuPartition = z.infer<typeof zGpuPartition>;

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

export function fraction(num: number, den: number): GpuFraction {
  const g = gcd(num, den);
  return { num: num / g, den: den / g };
}

/** One device's share of its physical GPU, by the basis the operator chose (compute by default). */
export function deviceShare(
  partition: GpuPartition | undefined,
  basis: GpuShareBasis = 'compute',
): GpuFraction {
  if (!partition) return { num: 1, den: 1 };
  return basis === 'memory' ? partition.memory : partition.compute;
}

/** Physical GPUs that hold `devices` devices of a partition (slices of one GPU are never counted as GPUs). */
export function physicalGpusFor(devices: number, partition: GpuPartition | undefined): number {
  if (!partition) return devices;
  return Math.ceil(devices / partition.devicesPerGpu);
}

/** A MIG profile: compute slices "Ng" and memory "Mgb" (with "+me", "+gfx" options), e.g. 1g.10gb, 3g.40gb+me. */
const MIG_PROFILE = /^(\d)g\.(\d+)gb(?:\+[a-z]+)*$/i;

/**
 * MIG geometry by the memory of one 1g slice (GB): how many compute slices the GPU has and its memory as MIG
 * counts it. A100 40GB: 1g.5gb; A100 80GB / H100 80GB: 1g.10gb; H100 NVL 94GB: 1g.12gb; H200: 1g.18gb;
 * B200: 1g.23gb; A30: 1g.6gb (4 slices).
 */
const MIG_GEOMETRY: readonly { sliceGb: number; computeSlices: number; memoryGb: number }[] = [
  { sliceGb: 5, computeSlices: 7, memoryGb: 40 },
  { sliceGb: 6, computeSlices: 4, memoryGb: 24 },
  { sliceGb: 10, computeSlices: 7, memoryGb: 80 },
  { sliceGb: 12, computeSlices: 7, memoryGb: 96 },
  { sliceGb: 18, computeSlices: 7, memoryGb: 144 },
  { sliceGb: 23, computeSlices: 7, memoryGb: 184 },
];

/** Instances of each compute size one GPU holds at most (NVIDIA's MIG user guide, A100/H100/H200/B200). */
const MIG_INSTANCES_PER_GPU_7: Record<number, number> = { 1: 7, 2: 3, 3: 2, 4: 1, 7: 1 };
const MIG_INSTANCES_PER_GPU_4: Record<number, number> = { 1: 4, 2: 2, 4: 1 };

function migGeometry(g: number, gb: number, parentMemoryGiB?: number) {
  const byParent =
    parentMemoryGiB && parentMemoryGiB > 0
      ? MIG_GEOMETRY.find((x) => Math.abs(x.memoryGb - parentMemoryGiB) / x.memoryGb < 0.08)
      : undefined;
  // Else the geometry whose 1g slice is the profile's memory, or the smallest whose board holds it in whole slices.
  return (
    byParent ??
    MIG_GEOMETRY.find((x) => (g === 1 ? x.sliceGb === gb : x.memoryGb >= gb && gb % x.sliceGb === 0)) ??
    MIG_GEOMETRY.find((x) => x.memoryGb >= gb)
  );
}

/** The memory (GB) of the board a MIG profile is cut from, when the profile alone tells it. */
export function migBoardMemoryGb(profile: string): number | undefined {
  const m = MIG_PROFILE.exec(profile.trim());
  return m ? migGeometry(Number(m[1]), Number(m[2]))?.memoryGb : undefined;
}

/**
 * The partition of a MIG profile. `parentMemoryGiB` (the physical GPU's memory, when known) picks the geometry;
 * else the profile's own figures do (1g.10gb is a tenth of 80 GB whatever the GPU).
 */
export function migPartition(profile: string, parentMemoryGiB?: number): GpuPartition | undefined {
  const m = MIG_PROFILE.exec(profile.trim());
  if (!m) return undefined;
  const g = Number(m[1]);
  const gb = Number(m[2]);
  const geometry = migGeometry(g, gb, parentMemoryGiB);
  if (!geometry || g > geometry.computeSlices) return undefined;
  const perGpu = (geometry.computeSlices === 4 ? MIG_INSTANCES_PER_GPU_4 : MIG_INSTANCES_PER_GPU_7)[g] ?? 1;
  // 1g.20gb on an 80 GB GPU holds two memory slices: 4 fit, not 7.
  const memorySlices = Math.max(1, Math.round(gb / geometry.sliceGb));
  const totalMemorySlices = geometry.memoryGb / geometry.sliceGb;
  return {
    kind: 'mig',
    profile: `${g}g.${gb}gb`,
    devicesPerGpu: Math.max(1, Math.min(perGpu, Math.floor(totalMemorySlices / memorySlices))),
    compute: fraction(g, geometry.computeSlices),
    memory: fraction(Math.min(memorySlices, totalMemorySlices), totalMemorySlices),
  };
}

/**
 * A vGPU profile's framebuffer and parent: "A100-4C", "A100D-10C" (80 GB board), "T4-16Q", "A100-1-5C"
 * (MIG-backed: 1 compute slice, 5 GB). Time-sliced vGPUs share compute in proportion to framebuffer, since the
 * profile fixes how many fit on the board.
 */
const VGPU_PROFILE = /^(?:GRID|NVIDIA)?[\s-]*([A-Z]+\d+[A-Z]*?)(D?)-(?:(\d)-)?(\d+)([ABCQ])$/i;

export interface VgpuProfile {
  /** The board's model as named in the profile (A100, T4, L40S). */
  board: string;
  framebufferGb: number;
  /** Set on "D" profiles (A100D): the 80 GB board. */
  largeBoard: boolean;
  profile: string;
  /** MIG-backed vGPU: compute slices of the board. */
  migSlices?: number;
}

export function parseVgpuProfile(name: string): VgpuProfile | undefined {
  const m = VGPU_PROFILE.exec(name.trim());
  if (!m) return undefined;
  const [, board, d, slices, fb, letter] = m;
  return {
    board: board!.toUpperCase(),
    framebufferGb: Number(fb),
    largeBoard: d === 'D' || d === 'd',
    profile: `${board!.toUpperCase()}${d ?? ''}-${slices ? `${slices}-` : ''}${fb}${letter!.toUpperCase()}`,
    ...(slices ? { migSlices: Number(slices) } : {}),
  };
}

/** The partition of a vGPU profile on a board of `boardMemoryGiB`. */
export function vgpuPartition(profile: VgpuProfile, boardMemoryGiB: number): GpuPartition | undefined {
  const total = Math.round(boardMemoryGiB);
  if (total <= 0 || profile.framebufferGb > total) return undefined;
  const perGpu = Math.max(1, Math.floor(total / profile.framebufferGb));
  const memory = fraction(profile.framebufferGb, total);
  return {
    kind: 'vgpu',
    profile: profile.profile,
    devicesPerGpu: perGpu,
    compute: profile.migSlices ? fraction(profile.migSlices, 7) : memory,
    memory,
  };
}

/** Time-slicing: each of `replicas` devices gets an equal share of the GPU's time and memory. */
export function timeSlicePartition(replicas: number): GpuPartition | undefined {
  if (!Number.isInteger(replicas) || replicas < 2 || replicas > 1024) return undefined;
  return {
    kind: 'time-slice',
    devicesPerGpu: replicas,
    compute: fraction(1, replicas),
    memory: fraction(1, replicas),
  };
}

/** The name of a GPU as a product string carries a MIG profile: "NVIDIA-H100-80GB-HBM3-MIG-1g.10gb". */
export function splitMigProduct(product: string): { parent: string; profile: string } | undefined {
  const m = /^(.*?)[\s-]+MIG[\s-]+(\d+g\.\d+gb(?:\+[a-z]+)*)$/i.exec(product.trim());
  if (!m) return undefined;
  return { parent: m[1]!, profile: m[2]! };
}

/** A partition's key part for pool ids: nodes of different profiles are different pools. */
export function partitionKey(partition: GpuPartition | undefined): string {
  if (!partition) return '';
  return partition.kind === 'time-slice'
    ? `ts${partition.devicesPerGpu}`
    : `${partition.kind}-${partition.profile ?? partition.devicesPerGpu}`;
}

/**
 * Splits `physicalGpuSeconds × den` exact units among device-second holders. A tenant holding `deviceSeconds`
 * gets `deviceSeconds × num` units of `1/den` GPU-second each; the rest of the capacity is idle. Integers only.
 */
export function fractionalWeights(
  gpuCount: number,
  seconds: number,
  deviceSeconds: readonly number[],
  share: GpuFraction,
  partition?: GpuPartition,
): { weights: bigint[]; idle: bigint; unitsPerGpuSecond: number } {
  // A vGPU VM's capacity is its own devices; any other node's is its physical GPUs.
  const units =
    partition?.kind === 'vgpu' && partition.devicesOnNode !== undefined
      ? BigInt(partition.devicesOnNode) * BigInt(share.num)
      : BigInt(gpuCount) * BigInt(share.den);
  const capacity = units * BigInt(Math.round(seconds));
  const weights = deviceSeconds.map((s) => BigInt(Math.round(s)) * BigInt(share.num));
  const used = weights.reduce((a, b) => a + b, 0n);
  return { weights, idle: used >= capacity ? 0n : capacity - used, unitsPerGpuSecond: share.den };
}

/**
 * What one device costs per hour at its physical GPU's price: a 1g.10gb slice of an H100 at 7 USD/h is 1 USD/h
 * by compute (1/7) or 0.875 USD/h by memory (1/8). Rounded half-to-even to the micro-dollar.
 */
export function devicePriceUsd(
  gpuUsdPerHour: bigint,
  partition: GpuPartition | undefined,
  basis: GpuShareBasis = 'compute',
): bigint {
  const { num, den } = deviceShare(partition, basis);
  const n = gpuUsdPerHour * BigInt(num);
  const d = BigInt(den);
  const q = n / d;
  const r = n % d;
  // Half-to-even on the remainder, so that prices of many slices carry no bias.
  if (r * 2n > d || (r * 2n === d && q % 2n !== 0n)) return q + 1n;
  return q;
}
