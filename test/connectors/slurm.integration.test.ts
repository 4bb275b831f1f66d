// The Slurm connector against a real Slurm 22.05 (Debian packages): slurmctld, four slurmd, slurmrestd with JWT.
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSlurmRestClient, type SlurmRestClient } from '../../lib/connectors/slurm/client.ts';
import { createSlurmProvider, type SlurmCapacityProvider } from '../../lib/connectors/slurm/provider.ts';
import { createScontrolRunner } from '../../lib/connectors/slurm/scontrol.ts';
import { zFleetNode } from '../../lib/domain/fleet.ts';
import { parseUsd } from '../../lib/domain/money.ts';
import { describeCapacityProviderContract } from '../contracts/capacity-provider-contract.ts';
import { useSlurm, type RunningService } from '../services/start.ts';
import { describeWithService } from '../support/services.ts';

const GPU_POOL = 'slurm:gpu-lab:gpu:h100x4';
const CLOUD_POOL = 'slurm:gpu-lab:cloud:h100x4';
const id = (name: string) => `slurm:gpu-lab:${name}`;

function slurmCommand(env: Record<string, string>, command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { env: { ...process.env, SLURM_CONF: env.SLURM_CONF } },
      (error, stdout, stderr) =>
        error ? reject(new Error(`${command} ${args.join(' ')}: ${stderr}`)) : resolve(stdout.trim()),
    );
  });
}

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const value = await read();
    if (ok(value)) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describeWithService('slurmctld', 'slurmctld', 'Slurm connector on a real Slurm', () => {
  let service: RunningService;
  let client: SlurmRestClient;
  let provider: SlurmCapacityProvider;
  const jobs: string[] = [];

  const scontrol = (...args: string[]) => slurmCommand(service.env, 'scontrol', args);

  /** Leaves the cluster as slurm-up.sh made it: no drains, no comments, cloud nodes powered down. */
  async function resetNodes() {
    for (const n of ['gpu1', 'gpu2', 'gpu3', 'gpu4']) {
      await scontrol('update', `nodename=${n}`, 'comment=');
      const nodes = await client.nodes();
      if (nodes.find((x) => x.name === n)?.state_flags?.includes('DRAIN')) {
        await scontrol('update', `nodename=${n}`, 'state=resume');
      }
    }
    const cloud = (await client.nodes()).filter((n) => n.name.startsWith('cloud'));
    for (const n of cloud) {
      if (!n.state_flags?.some((f) => f.startsWith('POWER'))) {
        await scontrol('update', `nodename=${n.name}`, 'state=power_down_force');
      }
    }
  }

  beforeAll(async () => {
    service = await useSlurm();
    client = createSlurmRestClient({
      url: service.env.SLURM_REST_URL!,
      user: service.env.SLURM_USER!,
      token: service.env.SLURM_JWT!,
      scontrol: createScontrolRunner({ slurmConf: service.env.SLURM_CONF }),
    });
    provider = createSlurmProvider({ client, cluster: 'gpu-lab', onPremUsdPerGpuHour: parseUsd('1.25') });
    await resetNodes();
    // Cloud nodes left powering down by an earlier run must settle before launches are tested.
    await until(
      () => provider.nodes(),
      (ns) => ns.filter((n) => n.poolId === CLOUD_POOL).every((n) => n.state === 'powered-down'),
      'cloud nodes to power down',
    );
    const sbatch = (...args: string[]) =>
      slurmCommand(service.env, 'sbatch', ['--parsable', '-o', '/dev/null', '--chdir=/tmp', ...args]);
    const args = (text: string) => text.split(' ');
    jobs.push(
      await sbatch(
        ...args('-p gpu -w gpu1 --gres=gpu:h100:2 -A ml-research --uid=nobody'),
        '--wrap',
        'sleep 600',
      ),
    );
    jobs.push(
      await sbatch(
        ...args('-p gpu -w gpu1 --gres=gpu:h100:1 -A ml-research --uid=nobody'),
        '--wrap',
        'sleep 600',
      ),
    );
    // Held until an hour from now: pending, asking 4 GPUs on each of 2 nodes.
    jobs.push(
      await sbatch(...args('-p gpu -N 2 --gres=gpu:h100:4 -A vision --begin=now+3600'), '--wrap', 'sleep 1'),
    );
    await until(
      () => provider.nodes(),
      (ns) => ns.find((n) => n.nodeId === id('gpu1'))?.runningJobs.length === 2,
      'two jobs running on gpu1',
    );
  });

  afterAll(async () => {
    if (jobs.length) await slurmCommand(service.env, 'scancel', jobs).catch(() => undefined);
    if (client) await resetNodes().catch(() => undefined);
    await service?.stop();
  });

  it('detects Slurm 22.05 by its API: v0.0.38, no REST node update (scontrol does it)', async () => {
    expect(await client.api()).toEqual({ version: 'v0.0.38', restNodeUpdate: false });
    expect((await client.ping()).release).toMatch(/^22\.05\./);
  });

  it('lists every GPU node with its state, GPUs, jobs and tags', async () => {
    const nodes = await provider.nodes();
    for (const n of nodes) expect(zFleetNode.safeParse(n).success).toBe(true);
    const byName = Object.fromEntries(nodes.map((n) => [n.nodeId.split(':')[2], n]));
    expect(Object.keys(byName).sort()).toEqual([
      'cloud1',
      'cloud2',
      'gpu1',
      'gpu2',
      'gpu3',
      'gpu4',
      'gpu5',
      'gpu6',
    ]);
    expect(byName.gpu1).toMatchObject({
      state: 'running',
      gpuModel: 'H100',
      gpuCount: 4,
      purchaseOption: 'on-prem',
      managed: true,
      protected: false,
      runningJobs: jobs.slice(0, 2),
    });
    expect(byName.gpu4).toMatchObject({ state: 'running', protected: true });
    expect(byName.gpu5).toMatchObject({ state: 'stopped', managed: false });
    expect(byName.cloud1).toMatchObject({ state: 'powered-down', poolId: CLOUD_POOL });
    const pools = await provider.pools();
    expect(pools.map((p) => [p.id, p.maxInstances, p.gpuMemoryGiB]).sort()).toEqual([
      [CLOUD_POOL, 2, 80],
      [GPU_POOL, 6, 80],
    ]);
  });

  it('reads the queue: GPUs running and pending per account and pool', async () => {
    const queue = await provider.queue();
    expect(queue).toEqual(
      expect.arrayContaining([
        { team: 'ml-research', poolId: GPU_POOL, gpusRunning: 3, gpusPending: 0 },
        { team: 'vision', poolId: GPU_POOL, gpusRunning: 0, gpusPending: 8 },
      ]),
    );
    expect(queue).toHaveLength(2);
  });

  it('prices on-prem nodes at the configured cost per GPU-hour', async () => {
    const quotes = await provider.prices();
    expect(quotes.map((q) => [q.poolId, q.usdPerHour, q.source])).toEqual(
      expect.arrayContaining([[GPU_POOL, 5_000_000n, 'configured']]),
    );
  });

  it('drains a busy node without killing its jobs, and resumes it', async () => {
    const out = await provider.release({ nodeIds: [id('gpu1')], method: 'drain' });
    expect(out).toEqual({ released: [id('gpu1')], refused: [] });
    const drained = (await provider.nodes()).find((n) => n.nodeId === id('gpu1'))!;
    expect(drained.state).toBe('draining');
    expect(drained.runningJobs).toEqual(jobs.slice(0, 2));
    expect(await provider.resume([id('gpu1')])).toEqual({ released: [id('gpu1')], refused: [] });
    expect((await provider.nodes()).find((n) => n.nodeId === id('gpu1'))!.state).toBe('running');
  });

  it('keeps an admin comment when marking and unmarking', async () => {
    await scontrol('update', 'nodename=gpu2', 'comment=rack 7');
    await provider.mark(id('gpu2'), { markedAt: '2026-01-05T10:00:00Z', reason: 'idle: 0 % for 2 h' });
    expect((await client.nodes()).find((n) => n.name === 'gpu2')!.comment).toMatch(
      /^rack 7 gpu-optimizer-mark:/,
    );
    await provider.unmark(id('gpu2'));
    expect((await client.nodes()).find((n) => n.name === 'gpu2')!.comment).toBe('rack 7');
    await scontrol('update', 'nodename=gpu2', 'comment=');
  });

  it('refuses what Slurm cannot do and nodes it must not touch', async () => {
    const stop = await provider.release({ nodeIds: [id('gpu3')], method: 'terminate' });
    expect(stop.refused[0]!.reason).toMatch(/not offered by Slurm/);
    const unmanaged = await provider.release({ nodeIds: [id('gpu5')], method: 'drain' });
    expect(unmanaged.refused[0]!.reason).toMatch(/not managed/);
    const spot = await provider.launch({ poolId: CLOUD_POOL, option: 'spot', count: 1 });
    expect(spot.failures[0]).toMatchObject({ code: 'unsupported', count: 1 });
  });

  describeCapacityProviderContract('slurm (real Slurm 22.05 via slurmrestd + scontrol)', async () => ({
    provider,
    releasableNodeId: id('gpu3'),
    protectedNodeId: id('gpu4'),
    releaseMethod: 'drain',
    // Launching powers up the powered-down CLOUD nodes of the pool.
    launch: { poolId: CLOUD_POOL, option: 'on-prem', available: 2 },
    cleanup: resetNodes,
  }));
});
