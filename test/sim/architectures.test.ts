// Own, rent or both: the architectures comparison on the engine's synthetic cycle and through the CLI.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../lib/cli/main.ts';
import { ownedUsdPerGpuHour, zOwnershipCosts } from '../../lib/sim/architectures.ts';
import type { SimulationSummary } from '../../lib/sim/output/summary.ts';
import { captureIo } from '../support/cli.ts';

describe('the cost of owning a GPU', () => {
  it('spreads the hardware over its life and adds power with cooling and operations, in exact micro-dollars', () => {
    const costs = zOwnershipCosts.parse({});
    // 12,000 / (3 × 8,760) = 0.4566210… → 456,621; 0.45 kW × 1.4 × $0.10 = 63,000; operations 100,000.
    expect(ownedUsdPerGpuHour(costs)).toBe(456_621n + 63_000n + 100_000n);
    expect(ownedUsdPerGpuHour({ ...costs, electricityUsdPerKwh: 0n, operationsUsdPerGpuHour: 0n })).toBe(
      456_621n,
    );
  });

  it('reads the money flags as dollars, a number or a decimal string, and names a bad one', () => {
    const costs = zOwnershipCosts.parse({ hardwareUsdPerGpu: 20_000, electricityUsdPerKwh: '0.123456' });
    expect(costs.hardwareUsdPerGpu).toBe(20_000_000_000n);
    expect(costs.electricityUsdPerKwh).toBe(123_456n);
    const bad = zOwnershipCosts.safeParse({ operationsUsdPerGpuHour: 0.1234567 });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0]!.path).toEqual(['operationsUsdPerGpuHour']);
  });
});

describe('gpu-optimizer simulate --architectures', () => {
  it('compares all cloud, all on-prem and hybrid, each serving all the demand, with the break-even utilization', async () => {
    const out = await mkdtemp(join(tmpdir(), 'gpu-optimizer-arch-'));
    const io = captureIo();
    const code = await runCli(
      [
        'simulate',
        '--from',
        '2017-11-06',
        '--to',
        '2017-11-12',
        '--warmup-days',
        '3',
        '--policies',
        'optimizer',
        '--architectures',
        '--hardware-usd-per-gpu',
        '20000',
        '--system-hours',
        '0',
        '--out',
        out,
      ],
      io,
    );
    expect(code, io.err).toBe(0);
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')) as SimulationSummary;
    const a = summary.architectures!;
    expect(a.results.map((r) => r.name)).toEqual(['all-cloud', 'all-on-prem', 'hybrid']);
    expect(a.ownedUsdPerGpuHour).toBeCloseTo(20_000 / 26_280 + 0.063 + 0.1, 3);
    // p3.16xlarge on-demand: $24.48 for 8 GPUs.
    expect(a.breakEvenUtilizationVsOnDemand).toBeCloseTo(a.ownedUsdPerGpuHour / 3.06, 2);
    const allOnPrem = a.results[1]!;
    expect(allOnPrem.onPremGpus % 8).toBe(0);
    expect(allOnPrem.lateGpuHours).toBe(0);
    expect(a.results[2]!.onPremGpus).toBeLessThanOrEqual(allOnPrem.onPremGpus);
    expect(io.out).toMatch(/Architectures:[\s\S]*all-on-prem[\s\S]*pays off above \d+ % utilization/);
    expect(await readFile(join(out, 'report.html'), 'utf8')).toContain('Own, rent or both');
  }, 120_000);

  it('refuses --architectures without the optimizer', async () => {
    const io = captureIo();
    expect(await runCli(['simulate', '--policies', 'spot-first', '--architectures'], io)).toBe(2);
    expect(io.err).toMatch(/keep optimizer in --policies/);
  });
});
