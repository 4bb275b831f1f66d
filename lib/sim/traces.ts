// The traces that ship with the project, and what each one assumes when it is replayed.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface TraceProfile {
  name: string;
  /** Path inside the project. */
  file: string;
  /** Research-only licences: used by benches and tests, never by default. */
  research: boolean;
  /** The cloud instance type the trace's GPUs map to, and why. */
  instanceType: string;
  region: string;
  zones: readonly string[];
  spotShare: number;
  checkpointIntervalMinutes: number;
  mapping: string;
  /**
   * How the trace's teams hold capacity: `shared` — their work is packed onto a pool's instances, as on a
   * Kubernetes or Slurm node pool (the default); `dedicated` — each team holds whole instances of its own, as
   * virtual clusters with quotas do.
   */
  sharing: 'shared' | 'dedicated';
  /** How many teams (the `team` labels) the file holds; undefined for a user's own file until it is read. */
  teams?: number;
}

const dataFile = (path: string) => fileURLToPath(new URL(`../../data/${path}`, import.meta.url));

/** Where traces are replayed unless flags say otherwise: three zones of one region, so spot pools can be spread. */
const US_EAST_1 = { region: 'us-east-1', zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'] } as const;

/** 8-GPU training nodes replayed on p3.16xlarge (8 × V100 16 GB), the closest generation AWS still sells. */
const V100_TRAINING = {
  instanceType: 'p3.16xlarge',
  ...US_EAST_1,
  spotShare: 0.6,
  checkpointIntervalMinutes: 30,
} as const;
/** 1-GPU serving instances replayed on g5.xlarge (1 × A10G); serving, so only 20 % may run on spot. */
const A10G_SERVING = {
  instanceType: 'g5.xlarge',
  ...US_EAST_1,
  spotShare: 0.2,
  checkpointIntervalMinutes: 10,
} as const;

export const TRACE_PROFILES: readonly TraceProfile[] = [
  {
    name: 'philly',
    file: dataFile('philly/philly-5min.csv'),
    research: false,
    ...V100_TRAINING,
    mapping:
      "Philly's P100/P40 8-GPU nodes → AWS p3.16xlarge (8 × V100 16 GB), the closest generation AWS still sells",
    sharing: 'shared',
    teams: 1,
  },
  {
    name: 'philly-vc',
    file: dataFile('research/philly-vc/philly-vc-hourly.csv'),
    research: true,
    ...V100_TRAINING,
    mapping:
      "Philly's multi-GPU jobs per virtual cluster → AWS p3.16xlarge (8 × V100 16 GB); each virtual cluster holds its own instances",
    sharing: 'dedicated',
    teams: 11,
  },
  {
    name: 'helios-venus',
    file: dataFile('research/helios-venus/venus-10min.csv'),
    research: true,
    ...V100_TRAINING,
    mapping: "Venus's 8 × V100 nodes → AWS p3.16xlarge (8 × V100 16 GB)",
    sharing: 'shared',
    teams: 1,
  },
  {
    name: 'alibaba-dlrm',
    file: dataFile('research/alibaba-dlrm/alibaba-dlrm-5min.csv'),
    research: true,
    ...A10G_SERVING,
    mapping:
      "Alibaba's 1-GPU DLRM serving instances → AWS g5.xlarge (1 × A10G); serving, so only 20 % may run on spot",
    sharing: 'shared',
    teams: 1,
  },
  {
    name: 'alibaba-dlrm-apps',
    file: dataFile('research/alibaba-dlrm-apps/alibaba-dlrm-apps-hourly.csv'),
    research: true,
    ...A10G_SERVING,
    mapping:
      "Alibaba's 1-GPU DLRM serving instances per service (15 largest + other) → AWS g5.xlarge (1 × A10G); serving, so only 20 % may run on spot",
    sharing: 'shared',
    teams: 16,
  },
  {
    name: 'alibaba-openb-qos',
    file: dataFile('research/alibaba-openb-qos/alibaba-openb-qos-hourly.csv'),
    research: true,
    instanceType: 'g4dn.xlarge',
    ...US_EAST_1,
    spotShare: 0.4,
    checkpointIntervalMinutes: 10,
    mapping:
      "Alibaba openb's pods (mostly shares of one T4-class GPU) per QoS class → AWS g4dn.xlarge (1 × T4)",
    sharing: 'shared',
    teams: 4,
  },
];

export const DEFAULT_TRACE = 'philly';

/** A profile by name, or one for a user's own file (flags fill in what the file cannot say). */
export function resolveTrace(
  nameOrPath: string | undefined,
  overrides: Partial<TraceProfile> = {},
): TraceProfile {
  const byName = TRACE_PROFILES.find((t) => t.name === (nameOrPath ?? DEFAULT_TRACE));
  if (byName) return { ...byName, ...stripUndefined(overrides) };
  if (!nameOrPath || !existsSync(nameOrPath)) {
    throw new Error(
      `no trace ${JSON.stringify(nameOrPath)}: give a file in the trace format or one of ${TRACE_PROFILES.map((t) => t.name).join(', ')}`,
    );
  }
  return {
    name: nameOrPath.replace(/^.*\//, '').replace(/\.csv$/, ''),
    file: nameOrPath,
    research: false,
    instanceType: 'p4d.24xlarge',
    ...US_EAST_1,
    spotShare: 0.5,
    checkpointIntervalMinutes: 30,
    mapping: 'your trace → AWS p4d.24xlarge (8 × A100 40 GB) unless --instance-type says otherwise',
    sharing: 'shared',
    ...stripUndefined(overrides),
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
