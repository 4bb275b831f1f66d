// `gpu-optimizer agent`: samples nvidia-smi on a GPU node and sends one utilization batch per 5-minute window.
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { DEFAULT_BUS_NAME } from '../../domain/bus.ts';
import { poolId, zProvider, type Provider } from '../../domain/pool.ts';
import { zNodeIdentity, type NodeIdentity } from '../../domain/usage.ts';
import { describeZodError } from '../../domain/validation.ts';
import { printSink, runAgent, spoolSink } from '../../agent/agent.ts';
import type { BatchSink } from '../../domain/ports.ts';
import { ec2Identity } from '../../agent/ec2-identity.ts';
import { fsProcReader, noJobs, procJobResolver, withDefaults } from '../../agent/jobs.ts';
import { noLogins } from '../../agent/logins.ts';
import { putEventsFromEnvironment } from '../../agent/put-events.ts';
import { abortableSleep } from '../../agent/sleep.ts';
import { loginCommandSource, nvidiaSmiSource, replaySource, type SampleSource } from '../../agent/sources.ts';
import { FileSpool } from '../../agent/spool.ts';
import { WindowBatcher } from '../../agent/window.ts';
import { jsonLogger } from '../../ingest/logger.ts';
import { systemClock } from '../../memory/clock.ts';
import {
  EXIT_FAILURE,
  EXIT_OK,
  numberFlag,
  stringFlag,
  UsageError,
  type Command,
  type CommandIo,
} from '../command.ts';

async function readInput(path: string): Promise<string> {
  if (path !== '-') return readFile(path, 'utf8');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function nodeIdentity(flags: Record<string, unknown>): Promise<NodeIdentity> {
  const fromEc2 = flags.ec2 ? await ec2Identity() : undefined;
  const providerFlag = stringFlag(flags, 'provider');
  const provider = providerFlag ?? fromEc2?.provider ?? 'onprem';
  if (!zProvider.safeParse(provider).success)
    throw new UsageError(`--provider must be one of ${zProvider.options.join(', ')}, got ${provider}`);
  const base = {
    nodeId: stringFlag(flags, 'node-id') ?? fromEc2?.nodeId ?? hostname(),
    provider: provider as Provider,
    region: stringFlag(flags, 'region') ?? fromEc2?.region ?? 'default',
    zone: stringFlag(flags, 'zone') ?? fromEc2?.zone ?? 'default',
    instanceType: stringFlag(flags, 'instance-type') ?? fromEc2?.instanceType ?? 'gpu-node',
  };
  const labels = Object.fromEntries(
    (['team', 'project'] as const).flatMap((k) => (stringFlag(flags, k) ? [[k, stringFlag(flags, k)!]] : [])),
  );
  const identity = zNodeIdentity.safeParse({
    ...base,
    poolId: stringFlag(flags, 'pool') ?? poolId(base.provider, base.region, base.zone, base.instanceType),
    labels,
  });
  if (!identity.success) throw new UsageError(`node identity: ${describeZodError(identity.error)}`);
  return identity.data;
}

export const agentCommand: Command = {
  name: 'agent',
  summary: 'Sample nvidia-smi and send one GPU Utilization Batch per node and 5-minute window to EventBridge',
  details: [
    'Examples:',
    '  gpu-optimizer agent --ec2 --bus GpuOptimizer             # on an EC2 GPU instance (the stack output EventBusName)',
    '  gpu-optimizer agent --node-id gpu-017 --pool slurm:hpc:gpu:a100 --team vision',
    '  gpu-optimizer agent --from-file query.csv --dry-run      # replay nvidia-smi output, print events',
    '',
    'Credentials come from the standard AWS chain (instance profile, AWS_PROFILE, IAM Roles Anywhere).',
    'Every batch is written to the spool before it is sent, so an outage loses nothing; the spool drains',
    'in order once EventBridge answers again. With --from-file, times come from the file (read as UTC).',
  ].join('\n'),
  flags: {
    interval: { type: 'string', default: '10', description: 'Seconds between samples', valueName: 'seconds' },
    bus: {
      type: 'string',
      description: `EventBridge bus name or ARN (default: $GPU_OPTIMIZER_BUS or ${DEFAULT_BUS_NAME})`,
      valueName: 'name',
    },
    'from-file': {
      type: 'string',
      description: 'Replay --query-gpu CSV from a file ("-" for stdin) instead of running nvidia-smi',
      valueName: 'file',
    },
    'apps-file': {
      type: 'string',
      description: 'With --from-file: --query-compute-apps CSV for the processes',
      valueName: 'file',
    },
    once: {
      type: 'boolean',
      description:
        'Take one sample, send its window, exit (1 when nvidia-smi fails or nothing was delivered)',
    },
    'dry-run': { type: 'boolean', description: 'Print the events as JSON lines instead of sending them' },
    spool: {
      type: 'string',
      description: 'Spool folder (default: $STATE_DIRECTORY/spool or ./gpu-optimizer-spool)',
      valueName: 'dir',
    },
    ec2: {
      type: 'boolean',
      description: 'Take node id, region, zone and instance type from EC2 instance metadata',
    },
    'node-id': {
      type: 'string',
      description: 'Node id (default: the host name; on EC2 the instance id)',
      valueName: 'id',
    },
    provider: {
      type: 'string',
      description: 'aws, gcp, azure, onprem, slurm, kubernetes (default: onprem)',
      valueName: 'name',
    },
    region: { type: 'string', description: 'Region (on-prem: the cluster)', valueName: 'name' },
    zone: { type: 'string', description: 'Zone (on-prem: the partition)', valueName: 'name' },
    'instance-type': {
      type: 'string',
      description: 'Instance type (on-prem: the node type)',
      valueName: 'name',
    },
    pool: {
      type: 'string',
      description: 'Pool id (default: provider:region:zone:instance-type)',
      valueName: 'id',
    },
    team: {
      type: 'string',
      description: 'Team label of the node and of its jobs without one',
      valueName: 'name',
    },
    project: {
      type: 'string',
      description: 'Project label of the node and of its jobs without one',
      valueName: 'name',
    },
    'proc-root': {
      type: 'string',
      default: '/proc',
      description: 'Where to read process environments and cgroups',
      valueName: 'dir',
    },
  },
  async run({ flags }, io: CommandIo) {
    const intervalSeconds = numberFlag(flags, 'interval', { min: 1, max: 300 })!;
    const fromFile = stringFlag(flags, 'from-file');
    const appsFile = stringFlag(flags, 'apps-file');
    if (appsFile && !fromFile) throw new UsageError('--apps-file goes with --from-file');
    const node = await nodeIdentity(flags);
    const logger = jsonLogger(io.stderr);
    const clock = systemClock;
    const source: SampleSource = fromFile
      ? replaySource(
          await readInput(fromFile === '-' ? '-' : resolve(io.cwd, fromFile)),
          appsFile ? await readFile(resolve(io.cwd, appsFile), 'utf8') : undefined,
          clock.now(),
        )
      : nvidiaSmiSource();

    const controller = new AbortController();
    const stop = () => controller.abort();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);

    let sink: BatchSink;
    let sent: ReturnType<typeof spoolSink> | undefined;
    let spool: FileSpool | undefined;
    let busName: string | undefined;
    if (flags['dry-run']) sink = printSink((event) => io.stdout(`${JSON.stringify(event)}\n`));
    else {
      const dir =
        stringFlag(flags, 'spool') ??
        (io.env.STATE_DIRECTORY
          ? join(io.env.STATE_DIRECTORY.split(':')[0]!, 'spool')
          : 'gpu-optimizer-spool');
      spool = await FileSpool.open(resolve(io.cwd, dir));
      busName = stringFlag(flags, 'bus') ?? io.env.GPU_OPTIMIZER_BUS ?? DEFAULT_BUS_NAME;
      sink = sent = spoolSink(
        spool,
        {
          client: putEventsFromEnvironment(io.env, node.provider === 'aws' ? node.region : undefined),
          busName,
        },
        logger,
        clock,
      );
    }
    const team = stringFlag(flags, 'team');
    const project = stringFlag(flags, 'project');
    try {
      const summary = await runAgent({
        source,
        batcher: new WindowBatcher({ node, bootId: randomUUID(), sampleIntervalSeconds: intervalSeconds }),
        sink,
        // A replayed file's pids are not this machine's processes.
        jobs: source.live
          ? withDefaults(procJobResolver(fsProcReader(stringFlag(flags, 'proc-root'))), {
              ...(team ? { team } : {}),
              ...(project ? { project } : {}),
            })
          : noJobs,
        logins: source.live ? loginCommandSource() : noLogins,
        clock,
        logger,
        sleep: abortableSleep(controller.signal),
        intervalMs: intervalSeconds * 1000,
        once: Boolean(flags.once),
        signal: controller.signal,
      });
      const pending = spool?.pending().length ?? 0;
      // --once is how an installer checks a node: events left in the spool mean the bus was not reached.
      const undelivered =
        flags.once && sent && pending > 0
          ? `nothing delivered to bus ${busName}: ${sent.lastDrain?.error ?? 'EventBridge did not answer'}; ${pending} event(s) stay spooled and are sent by the next run`
          : undefined;
      const error = summary.error ?? undelivered;
      logger.log(error ? 'error' : 'info', 'agent stopped', { ...summary, error, spooled: pending });
      return error ? EXIT_FAILURE : EXIT_OK;
    } finally {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
    }
  },
};
