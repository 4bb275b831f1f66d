// The GPU model table: one normalised name per accelerator, its memory, its spec-sheet row and its spot-risk class.

/** Which measured spot trace stands in for a GPU's interruption rate (see data/catalog/SOURCE.md). */
export const SPOT_RISK_CLASSES = ['training', 'inference', 'legacy'] as const;
export type SpotRiskClass = (typeof SPOT_RISK_CLASSES)[number];

export interface GpuModel {
  /** The normalised name every part of the project uses: H100, A100-80GB, L4, T4, A10G … */
  name: string;
  /** Memory of one GPU, GiB, as the clouds list it (GCP: MiB / 1024; AWS DescribeInstanceTypes: MiB / 1024). */
  memoryGiB: number;
  /** The row of Epoch AI's ML hardware table whose figures this model takes; undefined when Epoch has none. */
  specName?: string;
  /**
   * Epoch lists dual-GPU boards (K80, M60) as one row, while clouds count each GPU: the spec is divided by this.
   */
  gpusPerSpecRow?: number;
  spotRiskClass: SpotRiskClass;
  /** Names the sources use for this model (case-insensitive), besides `name` itself. */
  aliases: readonly string[];
}

export const GPU_MODELS: readonly GpuModel[] = [
  {
    name: 'GB200',
    memoryGiB: 186,
    specName: 'NVIDIA GB200',
    spotRiskClass: 'training',
    aliases: ['NVIDIA GB200 Grace Blackwell'],
  },
  {
    name: 'B300',
    memoryGiB: 288,
    specName: 'NVIDIA B300 (Blackwell Ultra)',
    spotRiskClass: 'training',
    aliases: ['NVIDIA B300 Blackwell'],
  },
  {
    name: 'B200',
    memoryGiB: 180,
    specName: 'NVIDIA B200',
    spotRiskClass: 'training',
    aliases: ['NVIDIA B200 Blackwell'],
  },
  {
    name: 'H200',
    memoryGiB: 141,
    specName: 'NVIDIA H200 SXM',
    spotRiskClass: 'training',
    aliases: ['NVIDIA H200'],
  },
  {
    name: 'H100',
    memoryGiB: 80,
    specName: 'NVIDIA H100 SXM5 80GB',
    spotRiskClass: 'training',
    aliases: ['NVIDIA H100', 'H100-MEGA'],
  },
  {
    name: 'A100-80GB',
    memoryGiB: 80,
    specName: 'NVIDIA A100 SXM4 80 GB',
    spotRiskClass: 'training',
    aliases: ['NVIDIA A100 80GB'],
  },
  {
    name: 'A100',
    memoryGiB: 40,
    specName: 'NVIDIA A100 SXM4 40 GB',
    spotRiskClass: 'training',
    aliases: ['NVIDIA A100'],
  },
  {
    name: 'MI300X',
    memoryGiB: 192,
    specName: 'AMD Instinct MI300X',
    spotRiskClass: 'training',
    aliases: ['AMD Instinct MI300X'],
  },
  {
    name: 'V100-32GB',
    memoryGiB: 32,
    specName: 'NVIDIA Tesla V100 SXM2 32 GB',
    spotRiskClass: 'training',
    aliases: [],
  },
  {
    name: 'V100',
    memoryGiB: 16,
    specName: 'NVIDIA Tesla V100 SXM2',
    spotRiskClass: 'training',
    aliases: ['NVIDIA V100'],
  },
  { name: 'P100', memoryGiB: 16, specName: 'NVIDIA P100', spotRiskClass: 'legacy', aliases: ['NVIDIA P100'] },
  {
    name: 'Trainium2',
    memoryGiB: 96,
    specName: 'Amazon Trainium2',
    spotRiskClass: 'training',
    aliases: ['AWS Trainium2'],
  },
  {
    name: 'Trainium',
    memoryGiB: 32,
    specName: 'Amazon Trainium1',
    spotRiskClass: 'training',
    aliases: ['AWS Trainium'],
  },
  { name: 'L40S', memoryGiB: 48, spotRiskClass: 'inference', aliases: ['NVIDIA L40S'] },
  { name: 'L40', memoryGiB: 48, specName: 'NVIDIA L40', spotRiskClass: 'inference', aliases: ['NVIDIA L40'] },
  {
    name: 'RTX-PRO-6000',
    memoryGiB: 96,
    spotRiskClass: 'inference',
    aliases: ['NVIDIA RTX PRO 6000 Blackwell'],
  },
  {
    name: 'A10G',
    memoryGiB: 24,
    specName: 'NVIDIA A10G',
    spotRiskClass: 'inference',
    aliases: ['NVIDIA A10G'],
  },
  {
    name: 'A10',
    memoryGiB: 24,
    specName: 'NVIDIA A10 PCIe',
    spotRiskClass: 'inference',
    aliases: ['NVIDIA A10'],
  },
  { name: 'L4', memoryGiB: 24, specName: 'NVIDIA L4', spotRiskClass: 'inference', aliases: ['NVIDIA L4'] },
  {
    name: 'T4',
    memoryGiB: 16,
    specName: 'NVIDIA Tesla T4',
    spotRiskClass: 'inference',
    aliases: ['NVIDIA T4', 'Tesla T4'],
  },
  {
    name: 'Inferentia2',
    memoryGiB: 32,
    specName: 'AWS Inferentia2',
    spotRiskClass: 'inference',
    aliases: ['AWS Inferentia2'],
  },
  { name: 'P4', memoryGiB: 8, specName: 'NVIDIA Tesla P4', spotRiskClass: 'legacy', aliases: ['NVIDIA P4'] },
  {
    name: 'M60',
    memoryGiB: 8,
    specName: 'NVIDIA TESLA M60',
    gpusPerSpecRow: 2,
    spotRiskClass: 'legacy',
    aliases: ['NVIDIA M60'],
  },
  {
    name: 'K80',
    memoryGiB: 12,
    specName: 'NVIDIA Tesla K80',
    gpusPerSpecRow: 2,
    spotRiskClass: 'legacy',
    aliases: ['NVIDIA K80'],
  },
  { name: 'MI25', memoryGiB: 16, spotRiskClass: 'legacy', aliases: ['AMD Radeon Instinct MI25'] },
];

const BY_NAME = new Map<string, GpuModel>();
for (const model of GPU_MODELS) {
  for (const key of [model.name, ...model.aliases]) BY_NAME.set(key.toLowerCase(), model);
}

/** The model a source's accelerator name stands for, or undefined when the table does not know it. */
export function gpuModelByName(sourceName: string): GpuModel | undefined {
  return BY_NAME.get(sourceName.trim().toLowerCase());
}

/**
 * The model for a source name and what the source says of its memory: "NVIDIA A100" with 80 GiB a GPU is
 * A100-80GB. A source may list memory per GPU or per instance, so every candidate reading is tried; a
 * memory variant (a model named `<base>-…`) wins when one candidate matches its memory within 10 %.
 */
export function resolveGpuModel(
  sourceName: string,
  memoryCandidatesGiB: readonly number[] = [],
): GpuModel | undefined {
  const base = gpuModelByName(sourceName);
  if (!base) return undefined;
  const family = GPU_MODELS.filter((m) => m === base || m.name.startsWith(`${base.name}-`));
  for (const memory of memoryCandidatesGiB) {
    const match = family.find((m) => Math.abs(m.memoryGiB - memory) <= m.memoryGiB * 0.1);
    if (match) return match;
  }
  return base;
}
