// The real `cdk synth` of bin/app.ts: bundles every function with local esbuild, offline, with no AWS credentials.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { FUNCTION_NAMES } from '../../lib/infra/access.ts';

const run = promisify(execFile);

describe('cdk synth of the app', () => {
  it('refuses to synthesize without a config, saying what to set, in one line and no stack trace', async () => {
    const out = await mkdtemp(join(tmpdir(), 'cdk-out-'));
    try {
      const app = `npx tsx ${join(process.cwd(), 'bin/app.ts')}`;
      const failure = await run('npx', ['cdk', 'synth', '--quiet', '--no-notices', '--app', app, '-o', out], {
        cwd: process.cwd(),
        env: { ...process.env, CI: 'true' },
      }).then(
        () => undefined,
        (error: { stderr: string }) => error,
      );
      expect(failure).toBeDefined();
      expect(failure!.stderr).toContain('gpu-optimizer: invalid deploy: no config');
      expect(failure!.stderr).toContain('gpu-optimizer.config.json');
      expect(failure!.stderr).toContain('--context example=true');
      expect(failure!.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 120_000);

  it('succeeds from the example config and writes one ESM bundle per function, HiGHS wasm beside the optimizer only', async () => {
    const out = await mkdtemp(join(tmpdir(), 'cdk-out-'));
    try {
      // No credentials and no network: synth must not need either.
      const env = {
        ...process.env,
        AWS_ACCESS_KEY_ID: '',
        AWS_SECRET_ACCESS_KEY: '',
        AWS_PROFILE: 'none',
        CI: 'true',
      };
      await run('npx', ['cdk', 'synth', '--quiet', '--no-notices', '--context', 'example=true', '-o', out], {
        env,
        maxBuffer: 32 * 1024 * 1024,
      });
      const template = JSON.parse(await readFile(join(out, 'GpuOptimizer.template.json'), 'utf8')) as {
        Resources: Record<string, { Type: string; Properties: { Environment?: { Variables?: object } } }>;
      };
      // The runs' functions (the config writer's provider, aws-cdk-lib's own, has no Powertools service).
      const functions = Object.values(template.Resources).filter(
        (r) =>
          r.Type === 'AWS::Lambda::Function' &&
          r.Properties.Environment?.Variables !== undefined &&
          'POWERTOOLS_SERVICE_NAME' in r.Properties.Environment.Variables,
      );
      expect(functions).toHaveLength(FUNCTION_NAMES.length);
      const assets = (await readdir(out)).filter((d) => d.startsWith('asset.'));
      let wasmBundles = 0;
      for (const asset of assets) {
        const files = await readdir(join(out, asset));
        if (!files.includes('index.mjs')) continue;
        const size = (await stat(join(out, asset, 'index.mjs'))).size;
        expect(size).toBeGreaterThan(1000);
        if (files.includes('highs.wasm')) wasmBundles++;
      }
      // Only optimize solves the LP; interruption and reclaim never load the wasm, so they do not ship it.
      expect(wasmBundles).toBe(1);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 240_000);
});
