// End to end on a short slice of the real Philly trace: the invariants a user of `simulate` relies on.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../lib/cli/main.ts';
import { parseUsd, sumUsd } from '../../lib/domain/money.ts';
import type { SimulationSummary } from '../../lib/sim/output/summary.ts';
import { captureIo } from '../support/cli.ts';

const FROM = '2017-11-06';
const TO = '2017-11-14';

describe('gpu-optimizer simulate on a slice of the Philly trace', () => {
  let out: string;
  let summary: SimulationSummary;
  let html: string;
  let csv: string;
  let exitCode: number;
  let stdout: string;

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'gpu-optimizer-sim-'));
    const io = captureIo();
    exitCode = await runCli(
      ['simulate', '--from', FROM, '--to', TO, '--warmup-days', '3', '--system-hours', '0', '--out', out],
      io,
    );
    stdout = io.out;
    summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')) as SimulationSummary;
    html = await readFile(join(out, 'report.html'), 'utf8');
    csv = await readFile(join(out, 'attribution.csv'), 'utf8');
  }, 300_000);

  it('runs every policy and prints the table', () => {
    expect(exitCode).toBe(0);
    expect(summary.policies.map((p) => p.name).sort()).toEqual(
      ['on-demand-peak', 'optimizer', 'oracle', 'reactive-on-demand', 'spot-first', 'spot-reserved'].sort(),
    );
    for (const p of summary.policies) expect(stdout).toContain(p.name);
    expect(summary.billedHours).toBe(8 * 24 - 72);
  });

  it('serves the same demand under every policy, on time or late, and says which', () => {
    // Work re-run after interruptions is demand too; the rest is the trace's, the same for every policy.
    const demand = summary.policies.map((p) => p.demandGpuHours - p.lostGpuHours);
    for (const d of demand) expect(d).toBeCloseTo(demand[0]!, 0);
    for (const p of summary.policies)
      expect(p.servedGpuHours + p.lateGpuHours, p.name).toBeCloseTo(p.demandGpuHours, 0);
    // A one-hour lag misses rises: the reactive peer is late, and its headline pays for it.
    const reactive = summary.policies.find((p) => p.name === 'reactive-on-demand')!;
    expect(reactive.lateGpuHours).toBeGreaterThan(0);
    expect(parseUsd(reactive.penalizedCostUsd)).toBeGreaterThan(parseUsd(reactive.billUsd));
  });

  it('states P and scores every policy against the floor on the penalized cost', () => {
    expect(summary.penaltyMultiplier).toBe(1);
    expect(stdout).toContain('P = 1 × an on-demand GPU-hour');
    const floor = parseUsd(summary.oracle!.floorUsd);
    for (const p of summary.policies) {
      expect(parseUsd(p.penalizedCostUsd), p.name).toBeGreaterThanOrEqual(floor);
      expect(parseUsd(p.penalizedCostUsd), p.name).toBe(parseUsd(p.billUsd) + parseUsd(p.latePenaltyUsd));
    }
    // The floor is a proved bound, and the oracle's own plan, billed by the engine, lies within 1 % of it.
    expect(['mip', 'mip-bound', 'lp-relaxation']).toContain(summary.oracle!.method);
    expect(summary.oracle!.gap).toBeGreaterThanOrEqual(0);
    expect(summary.oracle!.gap).toBeLessThan(0.01);
    expect(summary.optimizerVsBestPeer?.bestPeer).toMatch(
      /^(on-demand-peak|reactive-on-demand|spot-first|spot-reserved)$/,
    );
  });

  it('attributes the optimizer’s simulated bill to the micro-dollar, in FOCUS rows', () => {
    const optimizer = summary.policies.find((p) => p.name === 'optimizer')!;
    expect(summary.attribution).toMatchObject({
      reconciled: true,
      mismatchedHours: 0,
      totalUsd: optimizer.costUsd,
    });
    const [header, ...rows] = csv.trim().split('\n');
    expect(header).toMatch(/^BilledCost,EffectiveCost,ListCost,ChargeCategory,ChargePeriodStart/);
    const effective = header!.split(',').indexOf('EffectiveCost');
    const total = sumUsd(rows.map((r) => parseUsd(r.split(',')[effective]!)));
    expect(total).toBe(parseUsd(optimizer.costUsd));
  });

  it('puts every ledger entry in the report', () => {
    const entryIds = [...html.matchAll(/<tr id="([^"]+)">/g)].map((m) => m[1]);
    expect(summary.ledger!.entries).toBeGreaterThan(0);
    expect(entryIds).toHaveLength(summary.ledger!.entries);
  });

  it('refuses a malformed trace with its line and column, and bad flags with exit code 2', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gpu-optimizer-bad-'));
    const file = join(dir, 'bad.csv');
    await (
      await import('node:fs/promises')
    ).writeFile(file, 'timestamp,gpus_busy\n2026-01-01T00:00:00Z,4\n2026-01-01T01:00:00Z,lots\n');
    const io = captureIo();
    expect(await runCli(['simulate', '--trace', file, '--out', dir], io)).toBe(2);
    expect(io.err).toMatch(/bad\.csv:3:2 \(gpus_busy\)/);
    const io2 = captureIo();
    expect(await runCli(['simulate', '--policies', 'optimizer,magic'], io2)).toBe(2);
    expect(io2.err).toMatch(/unknown: magic/);
    const io3 = captureIo();
    expect(await runCli(['simulate', '--trace', join(dir, 'missing.csv')], io3)).toBe(2);
    expect(io3.err).toMatch(/--trace: no trace .*missing\.csv/);
    // More history than the period holds: the flag is named, nothing is run.
    const io4 = captureIo();
    const tooMuch = ['simulate', '--from', '2017-12-01T00:00:00Z', '--warmup-days', '30', '--out', dir];
    expect(await runCli(tooMuch, io4)).toBe(2);
    expect(io4.err).toMatch(/--warmup-days: 720 hours of history leave nothing to bill/);
  });
});
