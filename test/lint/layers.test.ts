// The layer rule of eslint.config.js, through ESLint's Node API: fixtures with a violation, linted as if they sat in the layer they break.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const fixture = (name: string) => readFileSync(new URL(`fixtures/${name}`, import.meta.url), 'utf8');
const eslint = new ESLint({ cwd: ROOT });

/** The layer errors ESLint reports for a text placed at a path of the project. */
async function layerErrors(text: string, path: string): Promise<{ line: number; message: string }[]> {
  const [result] = await eslint.lintText(text, { filePath: `${ROOT}${path}` });
  return result!.messages
    .filter((m) => m.ruleId === 'no-restricted-imports')
    .map((m) => ({ line: m.line, message: m.message }));
}

describe('the layer rule', () => {
  it('refuses lib/sim and lib/memory in a use case', async () => {
    const errors = await layerErrors(fixture('reaches-simulator.fixture'), 'lib/runs/layer-fixture.ts');
    expect(errors.map((e) => e.line)).toEqual([2, 3]);
    expect(errors[0]!.message).toMatch(/Production code does not import lib\/sim, lib\/cli or lib\/memory/);
  });

  it('refuses lib/memory in a Lambda door', async () => {
    const errors = await layerErrors(
      fixture('door-takes-memory-clock.fixture'),
      'functions/layer-fixture.ts',
    );
    expect(errors.map((e) => e.line)).toEqual([2]);
  });

  it('lets the simulator and the CLI use the in-memory ports', async () => {
    expect(await layerErrors(fixture('reaches-simulator.fixture'), 'lib/sim/layer-fixture.ts')).toEqual([]);
    expect(await layerErrors(fixture('reaches-simulator.fixture'), 'lib/cli/layer-fixture.ts')).toEqual([]);
  });

  it.each([
    ['lib/domain/layer-fixture.ts', '../store/'],
    ['lib/optimizer/planner/layer-fixture.ts', '../../store/'],
    ['forecasting/layer-fixture.ts', '../lib/store/'],
  ])('refuses I/O modules, AWS SDKs and adapters in the pure core (%s)', async (path, storeFolder) => {
    const errors = await layerErrors(fixture('pure-does-io.fixture').replace('../store/', storeFolder), path);
    expect(errors.map((e) => e.line)).toEqual([2, 3, 4]);
    expect(errors[0]!.message).toMatch(/do no I\/O/);
    expect(errors[2]!.message).toMatch(/does not import adapters or use cases/);
  });

  it('lets an adapter do I/O', async () => {
    expect(await layerErrors(fixture('pure-does-io.fixture'), 'lib/pricing/layer-fixture.ts')).toEqual([]);
  });
});
