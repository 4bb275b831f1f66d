// `gpu-optimizer catalog` run through the CLI dispatcher, as a person or a script would call it.
import { describe, expect, it } from 'vitest';
import type { CommandIo } from '../../lib/cli/command.ts';
import { runCli } from '../../lib/cli/main.ts';

async function run(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const io: CommandIo = {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    interactive: false,
    env: {},
    cwd: process.cwd(),
  };
  const code = await runCli(['catalog', ...args], io);
  return { code, stdout, stderr };
}

describe('gpu-optimizer catalog', () => {
  it('--gpu H100 lists offerings of AWS, GCP and Azure with modelled figures marked and explained', async () => {
    const { code, stdout, stderr } = await run('--gpu', 'H100');
    expect(code).toBe(0);
    expect(stderr).toBe('');
    const rows = stdout.split('\n').filter((l) => /^(aws|gcp|azure) /.test(l));
    expect(new Set(rows.map((r) => r.split(' ')[0]))).toEqual(new Set(['aws', 'gcp', 'azure']));
    expect(rows.every((r) => r.includes('H100'))).toBe(true);
    const p5 = rows.find((r) => r.includes('p5.48xlarge'))!;
    // AWS publishes no spot price: the spot column carries the mark.
    expect(p5).toMatch(/\$55\.04\s+\$\d+\.\d\d\*/);
    expect(stdout).toMatch(/^\* modelled, not published: AWS spot = on-demand/m);
  });

  it('sorts by $/TFLOPS-hour, keeps to the memory floor and the limit', async () => {
    const { code, stdout } = await run(
      '--min-memory',
      '80',
      '--sort',
      'usd-per-tflops',
      '--json',
      '--limit',
      '20',
    );
    expect(code).toBe(0);
    const rows = JSON.parse(stdout) as { gpuMemoryGiB: number; usdPerTflopsHour: string | null }[];
    expect(rows).toHaveLength(20);
    expect(rows.every((r) => r.gpuMemoryGiB >= 80)).toBe(true);
    const perTflops = rows.map((r) => Number(r.usdPerTflopsHour));
    expect(perTflops).toEqual([...perTflops].sort((a, b) => a - b));
  });

  it('prints machine-readable offerings with money as 6-place strings and modelled flags', async () => {
    const { stdout } = await run('--gpu', 'A10G', '--provider', 'aws', '--region', 'us-east-1', '--json');
    const rows = JSON.parse(stdout) as Record<string, unknown>[];
    const g5 = rows.find((r) => r.instanceType === 'g5.xlarge')!;
    expect(g5).toMatchObject({
      provider: 'aws',
      gpuModel: 'A10G',
      gpuCount: 1,
      poolId: 'aws:us-east-1:any:g5.xlarge',
      onDemandUsdPerHour: expect.stringMatching(/^\d+\.\d{6}$/),
      spotModelled: true,
      reserved3yModelled: true,
    });
    expect(g5.spotInterruptionRatePerHour).toBeGreaterThan(0);
  });

  it('answers a wrong flag with usage and exit code 2', async () => {
    const bad = await run('--sort', 'cheapest');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--sort must be one of usd-per-gpu-hour, usd-per-tflops, memory/);
    expect((await run('--provider', 'oracle')).code).toBe(2);
    expect((await run('--limit', '0')).code).toBe(2);
  });

  it('says which GPUs exist when none matches', async () => {
    const { code, stdout } = await run('--gpu', 'Z9000');
    expect(code).toBe(0);
    expect(stdout).toMatch(/No offering matches GPU Z9000\. Known GPUs: .*H100/);
  });
});
