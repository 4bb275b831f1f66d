// End to end on a short slice of the real Philly trace: the invariants a user of `simulate` relies on.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../lib/cli/main.ts';
import { avoidedCostUsd } from '../../lib/domain/ledger.ts';
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
      ['commitment', 'on-demand-peak', 'optimizer', 'oracle', 'reactive-on-demand', 'spot-first'].sort(),
    );
    for (const p of summary.policies) expect(stdout).toContain(p.name);
    expect(summary.billedHours).toBe(8 * 24 - 72);
  });

  it('serves all the demand under every policy, late or not', () => {
    const served = summary.policies.map((p) => p.servedGpuHours - p.lostGpuHours);
    for (const s of served) expect(s).toBeCloseTo(served[0]!, 0);
  });

  it('has no policy cheaper than the oracle', () => {
    const oracle = parseUsd(summary.policies.find((p) => p.name === 'oracle')!.costUsd);
    for (const p of summary.policies) expect(parseUsd(p.costUsd), p.name).toBeGreaterThanOrEqual(oracle);
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

  it('puts every ledger entry in the report, and the ledger explains the whole saving', async () => {
    const entryIds = [...html.matchAll(/<tr id="([^"]+)">/g)].map((m) => m[1]);
    expect(summary.ledger!.entries).toBeGreaterThan(0);
    expect(entryIds).toHaveLength(summary.ledger!.entries);
    const saved = sumUsd(Object.values(summary.ledger!.savingUsdByLever).map(parseUsd));
    const baseline = parseUsd(summary.policies.find((p) => p.name === 'on-demand-peak')!.costUsd);
    const optimizer = parseUsd(summary.policies.find((p) => p.name === 'optimizer')!.costUsd);
    expect(saved).toBe(baseline - optimizer);
    expect(avoidedCostUsd({ counterfactualCostUsd: 5n, actualCostUsd: 3n })).toBe(2n);
  });

  it('refuses a malformed trace with its line and column, and bad flags with exit code 2', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gpu-optimizer-bad-'));
    const file = join(dir, 'bad.csv');
    await (
      await import('node:fs/promises')
    ).writeFile(file, 'timestamp,gpus_busy\n2026-01-01T00:00:00Z,4\n2026-01-01T01:00:00Z,lots\n');
    const io = captureIo();
    expect(await runCli(['simulate', '--trace', file, '--out', dir], io)).toBe(1);
    expect(io.err).toMatch(/bad\.csv:3:2 \(gpus_busy\)/);
    const io2 = captureIo();
    expect(await runCli(['simulate', '--policies', 'optimizer,magic'], io2)).toBe(2);
    expect(io2.err).toMatch(/unknown: magic/);
    const io3 = captureIo();
    expect(await runCli(['simulate', '--trace', join(dir, 'missing.csv')], io3)).toBe(2);
    expect(io3.err).toMatch(/--trace: no trace .*missing\.csv/);
  });
});
