// The guard chain, table-driven: each guard's typed refusal, the order they are applied in, and what each kind of change passes.
import { describe, expect, it } from 'vitest';
import type { NodeEvidence } from '../../lib/actuator/evidence.ts';
import { GUARD_CHAIN, judge, NO_CAPS, type GuardContext } from '../../lib/actuator/guards.ts';
import type { GuardedRequest } from '../../lib/domain/ports.ts';
import type { FleetNode, FleetNodeInput } from '../../lib/domain/fleet.ts';
import { refusal, type RefusalCode } from '../../lib/domain/refusal.ts';
import { toRfc3339 } from '../../lib/domain/time.ts';
import { node as buildNode, T0 } from '../idle/build.ts';

const READINGS: NodeEvidence = { gpuReadings: 12, jobs: [] };

function context(fields: Partial<GuardContext> = {}, evidence: NodeEvidence | null = READINGS): GuardContext {
  return {
    mode: 'enforce',
    killSwitch: false,
    nowMs: T0,
    loginGraceMinutes: 60,
    evidence: () => evidence ?? undefined,
    caps: NO_CAPS,
    tally: {
      actions: 0,
      releases: 0,
      releasesByPool: new Map(),
      livePerPool: new Map([[buildNode().poolId, 4]]),
    },
    ...fields,
  };
}
const node = (fields: Partial<FleetNodeInput> = {}): FleetNode => buildNode({ nodeId: 'n', ...fields });
const release = (fields: Partial<FleetNodeInput> = {}): GuardedRequest => ({
  kind: 'release',
  node: node(fields),
});
const codeOf = (request: GuardedRequest, ctx: GuardContext) => {
  const verdict = judge(request, ctx);
  return verdict.verdict === 'refuse' ? verdict.refusal.code : verdict.verdict;
};

describe('the guard chain', () => {
  const cases: [string, GuardedRequest, GuardContext, RefusalCode | 'carry-out' | 'recommend'][] = [
    ['a clean release in enforce mode', release(), context(), 'carry-out'],
    ['the kill switch', release(), context({ killSwitch: true }), 'kill-switch'],
    ['recommend mode', release(), context({ mode: 'recommend' }), 'recommend'],
    ['an unmanaged node in enforce mode', release({ managed: false }), context(), 'not-managed'],
    [
      'an unmanaged node in recommend mode',
      release({ managed: false }),
      context({ mode: 'recommend' }),
      'recommend',
    ],
    ['a protected node', release({ protected: true }), context(), 'protected'],
    [
      'a protected node, even in recommend mode',
      release({ protected: true }),
      context({ mode: 'recommend' }),
      'protected',
    ],
    ['a job the scheduler lists', release({ runningJobs: ['slurm-17'] }), context(), 'running-job'],
    [
      'a job only the readings show',
      release(),
      context({}, { gpuReadings: 12, jobs: ['job-7'] }),
      'running-job',
    ],
    [
      'a recent login on the node',
      release({ lastLoginAt: toRfc3339(T0 - 10 * 60_000) }),
      context(),
      'interactive-login',
    ],
    [
      'a recent login in the readings',
      release(),
      context({}, { gpuReadings: 12, jobs: [], lastLoginAtMs: T0 - 30 * 60_000 }),
      'interactive-login',
    ],
    ['an old login', release({ lastLoginAt: toRfc3339(T0 - 90 * 60_000) }), context(), 'carry-out'],
    ['0 GPUs', release({ gpuCount: 0 }), context(), 'no-gpu-evidence'],
    ['no GPU readings', release(), context({}, null), 'no-gpu-evidence'],
    ['readings with no sample', release(), context({}, { gpuReadings: 0, jobs: [] }), 'no-gpu-evidence'],
    ['a reserved instance', release({ purchaseOption: 'reserved' }), context(), 'reserved'],
    [
      'the per-run action cap',
      release(),
      context({ caps: { ...NO_CAPS, maxActions: 2 }, tally: { ...context().tally, actions: 2 } }),
      'run-cap',
    ],
    [
      'the per-run release cap',
      release(),
      context({ caps: { ...NO_CAPS, maxReleases: 1 }, tally: { ...context().tally, releases: 1 } }),
      'run-cap',
    ],
    [
      'the per-pool cap (25 % of 4 live nodes is 1)',
      release(),
      context({
        caps: { ...NO_CAPS, maxPoolReleasePct: 25 },
        tally: { ...context().tally, releasesByPool: new Map([[buildNode().poolId, 1]]) },
      }),
      'pool-cap',
    ],
    [
      'a budget',
      { kind: 'launch', poolId: 'p', option: 'on-demand', count: 2 },
      context({ budget: () => refusal('budget', 'team llm has spent its month') }),
      'budget',
    ],
    // A launch, an unmark or a tag touches no running work: only the kill switch, the mode and the caps judge it.
    ['a launch', { kind: 'launch', poolId: 'p', option: 'spot', count: 2 }, context({}, null), 'carry-out'],
    [
      'a launch with the kill switch',
      { kind: 'launch', poolId: 'p', option: 'spot', count: 2 },
      context({ killSwitch: true }),
      'kill-switch',
    ],
    [
      'an unmark of a protected node',
      { kind: 'unmark', node: node({ protected: true }) },
      context({}, null),
      'carry-out',
    ],
    [
      'a mark of a node running a job',
      { kind: 'mark', node: node({ runningJobs: ['j'] }) },
      context(),
      'running-job',
    ],
    [
      'a mark does not count against the caps',
      { kind: 'mark', node: node() },
      context({ caps: { ...NO_CAPS, maxActions: 0 } }),
      'carry-out',
    ],
  ];

  it.each(cases)('%s', (_name, request, ctx, expected) => {
    expect(codeOf(request, ctx)).toBe(expected);
  });

  it('applies the guards in order: kill switch, mode, managed, protected, job, login, GPU evidence, reserved, caps', () => {
    expect(GUARD_CHAIN.map((g) => g.name)).toEqual([
      'kill switch',
      'mode',
      'managed',
      'protected',
      'running job',
      'interactive login',
      'GPU evidence',
      'reserved',
      'caps',
      'budget',
    ]);
    // A node that fails every guard: lift the faults one by one, and the next guard in the chain answers.
    const faults: { code: RefusalCode; node: Partial<FleetNodeInput>; ctx: Partial<GuardContext> }[] = [
      { code: 'kill-switch', node: {}, ctx: { killSwitch: true } },
      { code: 'not-managed', node: { managed: false }, ctx: {} },
      { code: 'protected', node: { protected: true }, ctx: {} },
      { code: 'running-job', node: { runningJobs: ['j'] }, ctx: {} },
      { code: 'interactive-login', node: { lastLoginAt: toRfc3339(T0 - 60_000) }, ctx: {} },
      { code: 'no-gpu-evidence', node: { gpuCount: 0 }, ctx: {} },
      { code: 'reserved', node: { purchaseOption: 'reserved' }, ctx: {} },
      { code: 'run-cap', node: {}, ctx: { caps: { ...NO_CAPS, maxActions: 0 } } },
    ];
    const seen: string[] = [];
    for (let i = 0; i < faults.length; i++) {
      const active = faults.slice(i);
      const n = Object.assign({}, ...active.map((f) => f.node)) as Partial<FleetNodeInput>;
      const c = Object.assign({}, ...active.map((f) => f.ctx)) as Partial<GuardContext>;
      seen.push(String(codeOf(release(n), context(c))));
    }
    expect(seen).toEqual(faults.map((f) => f.code));
  });

  it('names the facts behind a refusal', () => {
    const verdict = judge(
      release({ runningJobs: ['slurm-17'] }),
      context({}, { gpuReadings: 3, jobs: ['job-7'] }),
    );
    expect(verdict).toEqual({
      verdict: 'refuse',
      guard: 'running job',
      refusal: { code: 'running-job', detail: 'runs slurm-17, job-7' },
    });
  });
});
