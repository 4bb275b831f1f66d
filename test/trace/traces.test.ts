// Every registered trace reads through the trace reader, on a regular step, with the teams and sharing it claims.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildScenario } from '../../lib/sim/build-scenario.ts';
import { openTraceFile, usageRowsOf } from '../../lib/sim/trace/index.ts';
import { DEFAULT_TRACE, resolveTrace, TRACE_PROFILES } from '../../lib/sim/traces.ts';

const MINUTE_MS = 60_000;
const DATA = join(import.meta.dirname, '../../data');

async function readWhole(file: string) {
  const trace = await openTraceFile(file);
  const stamps = new Set<number>();
  const teams = new Set<string>();
  const rowsPerStamp = new Map<number, number>();
  for await (const row of usageRowsOf(trace)) {
    stamps.add(row.atMs);
    teams.add(row.team ?? '');
    rowsPerStamp.set(row.atMs, (rowsPerStamp.get(row.atMs) ?? 0) + 1);
  }
  const sorted = [...stamps].sort((a, b) => a - b);
  const gaps = sorted.slice(1).map((t, i) => t - sorted[i]!);
  return { sorted, gaps, teams, rowsPerStamp };
}

describe('the registered traces', () => {
  it('are at least six, three of them with several teams, and the default is philly, not research-only', () => {
    expect(TRACE_PROFILES.length).toBeGreaterThanOrEqual(6);
    expect(TRACE_PROFILES.filter((t) => (t.teams ?? 0) > 1).length).toBeGreaterThanOrEqual(3);
    expect(new Set(TRACE_PROFILES.map((t) => t.name)).size).toBe(TRACE_PROFILES.length);
    const def = resolveTrace(undefined);
    expect(def.name).toBe(DEFAULT_TRACE);
    expect(def.research).toBe(false);
    expect(def.sharing).toBe('shared');
    // Virtual clusters with quotas hold their own instances; node pools are shared.
    expect(resolveTrace('philly-vc').sharing).toBe('dedicated');
    expect(resolveTrace('alibaba-dlrm-apps').sharing).toBe('shared');
  });

  it.each(TRACE_PROFILES.map((t) => [t.name, t] as const))(
    '%s reads whole, on a regular step, with the teams it claims',
    async (_name, profile) => {
      const { sorted, gaps, teams, rowsPerStamp } = await readWhole(profile.file);
      const step = Math.min(...gaps);
      expect([5, 10, 60].map((m) => m * MINUTE_MS)).toContain(step);
      // Every timestamp sits on the step's grid; a missing step is a gap (Philly keeps its 10-hour outage).
      expect(sorted.every((t) => t % step === 0)).toBe(true);
      expect(gaps.every((g) => g % step === 0)).toBe(true);
      expect(sorted[sorted.length - 1]! - sorted[0]!).toBeGreaterThan(28 * 86_400_000);
      expect(teams.size).toBe(profile.teams);
      if (teams.size > 1) {
        // A multi-team trace has no gap and a row for every team at every step.
        expect(gaps.every((g) => g === step)).toBe(true);
        expect([...rowsPerStamp.values()].every((n) => n === teams.size)).toBe(true);
      }
      const source = await readFile(join(dirname(profile.file), 'SOURCE.md'), 'utf8');
      expect(source).toMatch(/## Licence/);
      expect(source).toMatch(/## Conversion rule/);
      expect(profile.file.startsWith(join(DATA, 'research'))).toBe(profile.research);
    },
  );

  it.each(TRACE_PROFILES.filter((t) => (t.teams ?? 0) > 1).map((t) => [t.name, t] as const))(
    '%s builds a scenario with one workload class per team',
    async (_name, profile) => {
      const scenario = await buildScenario(profile, { lastHours: 24 * 7, warmupHours: 48 });
      expect(scenario.classes).toHaveLength(profile.teams!);
      expect(scenario.sharing).toBe(profile.sharing);
      expect(new Set(scenario.classes.map((c) => c.workload.team)).size).toBe(profile.teams);
      // Demand comes from every team, not one label with the rest at zero.
      const busyTeams = scenario.classes.filter((c) => c.demandGpus.some((g) => g > 0));
      expect(busyTeams.length).toBeGreaterThan(1);
    },
  );
});
