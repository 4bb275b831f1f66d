import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evidenceFromRollups, evidenceWindow } from '../../lib/actuator/evidence.ts';
import { judge, NO_CAPS, type GuardContext } from '../../lib/actuator/guards.ts';
import { toRfc3339, WINDOW_MS } from '../../lib/domain/time.ts';
import type { WindowRollup } from '../../lib/domain/usage.ts';
import { decideIdle } from '../../lib/optimizer/idle/detector.ts';
import { planReclaim } from '../../lib/optimizer/idle/lifecycle.ts';
import { zReclaimPolicy } from '../../lib/optimizer/idle/policy.ts';
import { IDLE_DEFAULTS } from '../../lib/optimizer/idle/thresholds.ts';
import { node, rollup, T0, type GpuSignal } from './build.ts';

const NOW = T0;

const arbSignal = fc.record({
  utilizationPct: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 100, noNaN: true }), fc.constant(null)),
  smActivityPct: fc.option(fc.double({ min: 0, max: 100, noNaN: true })),
  memoryUsedMiB: fc.option(fc.integer({ min: 0, max: 40960 })),
  powerW: fc.integer({ min: 0, max: 400 }),
  processCount: fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 3 })),
});

/** Quiet windows, so that the generator reaches idle verdicts (and releases) often enough to test them. */
const arbQuiet = fc.record({
  utilizationPct: fc.double({ min: 0, max: 6, noNaN: true }),
  smActivityPct: fc.constant(null),
  memoryUsedMiB: fc.integer({ min: 0, max: 3000 }),
  powerW: fc.integer({ min: 0, max: 80 }),
  processCount: fc.constantFrom(0, 0, 0, 0, 1),
});

const arbNode = fc.record({
  id: fc.integer({ min: 0, max: 1000 }),
  gpuCount: fc.integer({ min: 0, max: 4 }),
  reserved: fc.constantFrom(false, false, false, true),
  protected: fc.boolean(),
  managed: fc.boolean(),
  runningJobs: fc.oneof(fc.constant([]), fc.constant([]), fc.constant(['job-1'])),
  state: fc.constantFrom('running', 'running', 'pending', 'draining', 'stopped'),
  pool: fc.constantFrom('pool-a', 'pool-b'),
  markedMinutesAgo: fc.option(fc.integer({ min: 0, max: 120 })),
  lastLoginMinutesAgo: fc.option(fc.integer({ min: 0, max: 180 })),
  // Which of the last 12 windows reported, and what each said.
  reports: fc.oneof(
    fc.array(fc.option(arbSignal, { freq: 4 }), { minLength: 0, maxLength: 12 }),
    fc.array(fc.option(arbQuiet, { freq: 12 }), { minLength: 4, maxLength: 12 }),
  ),
});

describe('reclaim safety, whatever the inputs', () => {
  it('never releases (through the plan and the guard chain) a protected, busy, unknown, reserved or 0-GPU node, nor one running a job', () => {
    let releasesSeen = 0;
    fc.assert(
      fc.property(
        fc.uniqueArray(arbNode, { selector: (n) => n.id, maxLength: 12 }),
        fc.constantFrom('recommend', 'enforce'),
        fc.boolean(),
        (specs, mode, killSwitch) => {
          const all: WindowRollup[] = [];
          const assessments = specs.map((s) => {
            const n = node({
              nodeId: `n${s.id}`,
              poolId: s.pool,
              gpuCount: s.gpuCount,
              protected: s.protected,
              managed: s.managed,
              runningJobs: [...s.runningJobs],
              state: s.state,
              ...(s.reserved ? { purchaseOption: 'reserved' } : {}),
              ...(s.markedMinutesAgo === null
                ? {}
                : { mark: { markedAt: toRfc3339(NOW - s.markedMinutesAgo * 60_000), reason: 'idle' } }),
              ...(s.lastLoginMinutesAgo === null
                ? {}
                : { lastLoginAt: toRfc3339(NOW - s.lastLoginMinutesAgo * 60_000) }),
            });
            const reports: (GpuSignal | null)[] = s.reports;
            const mine = reports.flatMap((signal, i) =>
              signal ? [rollup(n, NOW - (reports.length - i) * WINDOW_MS, signal)] : [],
            );
            all.push(...mine);
            return { node: n, thresholds: IDLE_DEFAULTS, decision: decideIdle(n, mine, IDLE_DEFAULTS, NOW) };
          });
          const policy = zReclaimPolicy.parse({
            mode,
            killSwitch,
            maxReleasesPerRun: 100,
            maxPoolReleasePct: 100,
          });
          const plan = planReclaim(assessments, policy, NOW);
          const evidence = evidenceFromRollups(all, evidenceWindow(NOW));
          const context: GuardContext = {
            mode,
            killSwitch,
            nowMs: NOW,
            loginGraceMinutes: IDLE_DEFAULTS.loginGraceMinutes,
            evidence: (id) => evidence.get(id),
            caps: NO_CAPS,
            tally: { actions: 0, releases: 0, releasesByPool: new Map(), livePerPool: new Map() },
          };
          const byId = new Map(assessments.map((a) => [a.node.nodeId, a]));
          const passes = (kind: 'release' | 'mark', nodeId: string) =>
            judge({ kind, node: byId.get(nodeId)!.node }, context).verdict !== 'refuse';
          const releases = plan.releases.filter((r) => passes('release', r.nodeId));
          const marks = plan.marks.filter((m) => passes('mark', m.nodeId));
          releasesSeen += releases.length;

          for (const r of releases) {
            const { node: n, decision } = byId.get(r.nodeId)!;
            expect(n.protected).toBe(false);
            expect(n.runningJobs).toEqual([]);
            expect(n.gpuCount).toBeGreaterThan(0);
            expect(n.purchaseOption).not.toBe('reserved');
            expect(decision.decision).toBe('idle');
            if (mode === 'enforce') expect(n.managed).toBe(true);
          }
          for (const m of marks) expect(byId.get(m.nodeId)!.node.protected).toBe(false);
          if (killSwitch) expect(releases.length + marks.length).toBe(0);
          // An idle verdict means every GPU under the threshold and nothing on it, as the user would check.
          for (const a of assessments.filter((x) => x.decision.decision === 'idle')) {
            const spec = specs.find((s) => `n${s.id}` === a.node.nodeId)!;
            // Only the last 30 minutes (6 windows) are judged.
            const reported = spec.reports.slice(-6).filter((r) => r !== null);
            expect(reported.length).toBeGreaterThanOrEqual(5);
            for (const r of reported) {
              expect(r!.utilizationPct ?? 0).toBeLessThan(5);
              expect(r!.processCount).toBe(0);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
    // The generators must reach releases, or the property says nothing.
    expect(releasesSeen).toBeGreaterThan(0);
  });
});
