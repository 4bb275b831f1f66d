// The connectors config at the edge: the on-prem cost of a GPU-hour is money (exact micro-dollars), from a string or a number.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createConnectors, zConnectorsConfig } from '../../lib/connectors/config.ts';
import { describeZodError } from '../../lib/domain/validation.ts';
import { startFakeSlurmrestd } from './fake-slurmrestd.ts';

const DIR = join(import.meta.dirname, '../fixtures/slurm');
const fixture = (name: string): unknown => JSON.parse(readFileSync(join(DIR, name), 'utf8'));

const slurm = (onPremUsdPerGpuHour: unknown) => ({
  slurm: { url: 'http://127.0.0.1:6820', user: 'root', token: 'jwt', onPremUsdPerGpuHour },
});

describe('slurm.onPremUsdPerGpuHour', () => {
  it.each([
    ['1.25', 1_250_000n],
    [1.25, 1_250_000n],
    // A float's neighbour would be 0.70000000000000006661…; the file says 0.7.
    [0.7, 700_000n],
    ['0.000001', 1n],
    [0, 0n],
  ])('reads %j as exactly %s micro-dollars', (input, micros) => {
    expect(zConnectorsConfig.parse(slurm(input)).slurm!.onPremUsdPerGpuHour).toBe(micros);
  });

  it.each([-1, '-1', 1.2345678, '1.2345678', 1e21, 'one dollar', true])(
    'refuses %j with an error naming the field',
    (input) => {
      const parsed = zConnectorsConfig.safeParse(slurm(input));
      expect(parsed.success).toBe(false);
      expect(describeZodError(parsed.error!)).toMatch(
        /^slurm\.onPremUsdPerGpuHour: expected dollars as a decimal string with at most 6 places/,
      );
    },
  );

  it('prices each Slurm pool at the configured cost per GPU times its GPUs, in micro-dollars', async () => {
    const nodes = fixture('slurm_v0.0.38_nodes.json') as { nodes: Record<string, unknown>[] };
    const server = await startFakeSlurmrestd('v0.0.38', nodes, fixture('slurm_v0.0.38_jobs.json'));
    try {
      const config = zConnectorsConfig.parse({
        slurm: { url: server.url, user: 'root', token: 'jwt', cluster: 'gpu-lab', onPremUsdPerGpuHour: 0.7 },
      });
      const [provider] = createConnectors(config);
      const [pools, quotes] = [await provider!.pools(), await provider!.prices()];
      expect(quotes.length).toBeGreaterThan(0);
      for (const quote of quotes) {
        const pool = pools.find((p) => p.id === quote.poolId)!;
        expect(quote).toMatchObject({ option: 'on-prem', source: 'configured' });
        expect(quote.usdPerHour).toBe(700_000n * BigInt(pool.gpusPerInstance));
      }
    } finally {
      await server.close();
    }
  });
});
