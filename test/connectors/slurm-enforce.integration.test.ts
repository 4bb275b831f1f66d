// A Slurm-only on-prem config against a real slurmrestd: reclaim in enforce mode drains an idle managed node through the connector registry, and refuses a protected one with its reason.
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectorRegistryFromConfig } from '../../lib/connectors/registry.ts';
import type { ConnectorRegistry } from '../../lib/domain/ports.ts';
import { createSlurmRestClient, type SlurmRestClient } from '../../lib/connectors/slurm/client.ts';
import { createScontrolRunner } from '../../lib/connectors/slurm/scontrol.ts';
import type { FleetNode } from '../../lib/domain/fleet.ts';
import { parseUsd } from '../../lib/domain/money.ts';
import { WINDOW_MS } from '../../lib/domain/time.ts';
import { manualClock } from '../../lib/memory/clock.ts';
import { createMemoryEventSink } from '../../lib/memory/event-sink.ts';
import { createMemoryStore } from '../../lib/memory/store.ts';
import { runReclaim } from '../../lib/runs/reclaim.ts';
import { rollup } from '../idle/build.ts';
import { useSlurm, type RunningService } from '../services/start.ts';
import { describeWithService } from '../support/services.ts';

const id = (name: string) => `slurm:gpu-lab:${name}`;
// gpu3: managed and idle (no job is placed on it); gpu4: managed and protected (slurm-up.sh gives it the feature).
const IDLE = id('gpu3');
const PROTECTED = id('gpu4');

function scontrol(env: Record<string, string>, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'scontrol',
      args,
      { env: { ...process.env, SLURM_CONF: env.SLURM_CONF } },
      (error, stdout, stderr) =>
        error ? reject(new Error(`scontrol ${args.join(' ')}: ${stderr}`)) : resolve(stdout.trim()),
    );
  });
}

describeWithService('slurmctld', 'slurmctld', 'reclaim in enforce mode on a Slurm-only config', () => {
  let service: RunningService;
  let client: SlurmRestClient;
  let registry: ConnectorRegistry;

  /** Leaves the two nodes as slurm-up.sh made them: no comment, not drained. */
  async function resetNodes() {
    for (const name of ['gpu3', 'gpu4']) {
      await scontrol(service.env, 'update', `nodename=${name}`, 'comment=');
      const raw = (await client.nodes()).find((n) => n.name === name);
      if (raw?.state_flags?.includes('DRAIN'))
        await scontrol(service.env, 'update', `nodename=${name}`, 'state=resume');
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
    await resetNodes();
    // The deployed config: Slurm only, nothing of AWS.
    registry = connectorRegistryFromConfig({
      slurm: {
        url: service.env.SLURM_REST_URL!,
        user: service.env.SLURM_USER!,
        token: service.env.SLURM_JWT!,
        cluster: 'gpu-lab',
        onPremUsdPerGpuHour: parseUsd('1.25'),
        slurmConf: service.env.SLURM_CONF!,
      },
    });
  });

  afterAll(async () => {
    if (client) await resetNodes().catch(() => undefined);
    await service?.stop();
  });

  it('marks, then drains the idle managed node; refuses the protected one as protected, in the result and the ledger', async () => {
    const slurm = registry.providers[0]!;
    const listed = await slurm.nodes();
    const nodes = listed.filter((n): n is FleetNode => n.nodeId === IDLE || n.nodeId === PROTECTED);
    expect(nodes.map((n) => [n.nodeId, n.managed, n.protected, n.runningJobs.length])).toEqual([
      [IDLE, true, false, 0],
      [PROTECTED, true, true, 0],
    ]);
    const store = createMemoryStore();
    for (const n of nodes) await store.nodes.put(n);
    const clock = manualClock(Date.parse('2026-03-02T10:00:00Z'));
    // Half an hour of quiet GPUs on both (what the Prometheus/DCGM poll would have stored).
    const report = async () => {
      for (const n of nodes)
        for (let k = 6; k >= 1; k--)
          await store.rollups.put([rollup(n, clock.now() - k * WINDOW_MS, { utilizationPct: 0 })]);
    };
    const run = () =>
      runReclaim(
        { store, providers: registry, events: createMemoryEventSink(), clock, log: () => {} },
        {
          thresholds: { defaults: { graceMinutes: 0 } },
          policy: { mode: 'enforce', maxReleasesPerRun: 5, maxPoolReleasePct: 100 },
        },
      );

    await report();
    const first = await run();
    expect(first.failed).toEqual([]);
    expect(first.marked).toEqual([IDLE]);
    expect(first.refused).toEqual([
      {
        nodeId: PROTECTED,
        step: 'mark',
        refusal: { code: 'protected', detail: 'tagged protected: never released' },
      },
    ]);
    expect((await client.nodes()).find((n) => n.name === 'gpu3')!.comment).toMatch(/gpu-optimizer-mark:/);

    clock.advance(5 * 60_000);
    await report();
    const second = await run();
    expect(second.failed).toEqual([]);
    // Slurm's default in the one release-method table: drain (running work finishes, a resume undoes it).
    expect(second.released).toEqual([{ nodeId: IDLE, method: 'drain', recommendedOnly: false }]);
    expect(second.refused.map((r) => [r.nodeId, r.refusal.code])).toEqual([[PROTECTED, 'protected']]);
    const after = await slurm.nodes();
    expect(['draining', 'drained']).toContain(after.find((n) => n.nodeId === IDLE)!.state);
    expect(after.find((n) => n.nodeId === PROTECTED)!.state).toBe('running');
    const ledger = await store.ledger.between(0, Number.MAX_SAFE_INTEGER);
    expect(ledger.map((e) => [e.target, e.status, e.refusal?.code])).toEqual(
      expect.arrayContaining([
        [IDLE, 'done', undefined],
        [PROTECTED, 'refused', 'protected'],
      ]),
    );
  }, 60_000);
});
