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
}

const dataFile = (path: string) => fileURLToPath(new URL(`../../data/${path}`, import.meta.url));

export const TRACE_PROFILES: readonly TraceProfile[] = [
  {
    name: 'philly',
    file: dataFile('philly/philly-5min.csv'),
    research: false,
    instanceType: 'p3.16xlarge',
    region: 'us-east-1',
    zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
    spotShare: 0.6,
    checkpointIntervalMinutes: 30,
    mapping:
      "Philly's P100/P40 8-GPU nodes → AWS p3.16xlarge (8 × V100 16 GB), the closest generation AWS still sells",
  },
  {
    name: 'helios-venus',
    file: dataFile('research/helios-venus/venus-10min.csv'),
    research: true,
    instanceType: 'p3.16xlarge',
    region: 'us-east-1',
    zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
    spotShare: 0.6,
    checkpointIntervalMinutes: 30,
    mapping: "Venus's 8 × V100 nodes → AWS p3.16xlarge (8 × V100 16 GB)",
  },
  {
    name: 'alibaba-dlrm',
    file: dataFile('research/alibaba-dlrm/alibaba-dlrm-5min.csv'),
    research: true,
    instanceType: 'g5.xlarge',
    region: 'us-east-1',
    zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
    spotShare: 0.2,
    checkpointIntervalMinutes: 10,
    mapping:
      "Alibaba's 1-GPU DLRM serving instances → AWS g5.xlarge (1 × A10G); serving, so only 20 % may run on spot",
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
    region: 'us-east-1',
    zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
    spotShare: 0.5,
    checkpointIntervalMinutes: 30,
    mapping: 'your trace → AWS p4d.24xlarge (8 × A100 40 GB) unless --instance-type says otherwise',
    ...stripUndefined(overrides),
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
