// `npm run bench:bundles`: each Lambda bundle's size (wasm apart) and cold import time, built as the stack builds them.
import { execFile } from 'node:child_process';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { FUNCTION_NAMES } from '../lib/infra/access.ts';
import { ENVIRONMENT_KEYS } from '../lib/system/catalogue.ts';
import {
  ESBUILD_TARGET,
  ESM_REQUIRE_BANNER,
  EXTERNAL_MODULES,
  MAIN_FIELDS,
  WASM_ASSETS,
} from '../lib/infra/handler-function.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..');
/** Inside the project, so the bundles' external @aws-sdk imports resolve as the runtime's would. */
const OUT = join(ROOT, 'node_modules/.cache/gpu-optimizer-bundles');
const TARGET_JS_BYTES = 1024 * 1024;
const TARGET_IMPORT_MS = 300;
const IMPORT_RUNS = 5;

/** Values that pass each door's environment check (every key the catalogue knows); nothing is called (the endpoint refuses at once). */
const ENVIRONMENT: Record<string, string> = {
  ...Object.fromEntries(ENVIRONMENT_KEYS.map((key) => [key, 'bench'])),
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
};

/** A fresh node process imports the bundle and prints how long that took: a cold start's init, less the runtime's own. */
const IMPORT_PROBE = `const t = performance.now(); await import(process.argv[1]); console.log(performance.now() - t); process.exit(0);`;

interface BundleFigure {
  function: string;
  jsBytes: number;
  wasmBytes: number;
  coldImportMsMedian: number;
  withinTargets: boolean;
}

/** A function's file under functions/: its name in kebab case (importBill → import-bill), as the stack's entries are. */
const entryFile = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

async function measure(name: string): Promise<BundleFigure> {
  const dir = join(OUT, name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'index.mjs');
  const result = await build({
    entryPoints: [join(ROOT, `functions/${entryFile(name)}.ts`)],
    outfile: file,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: ESBUILD_TARGET,
    minify: true,
    mainFields: MAIN_FIELDS,
    external: EXTERNAL_MODULES,
    banner: { js: ESM_REQUIRE_BANNER },
    metafile: true,
    logLevel: 'error',
  });
  const inputs = Object.keys(result.metafile.inputs);
  let wasmBytes = 0;
  // The HiGHS loader is bundled only where the planner is; its wasm ships beside the bundle then.
  if (inputs.some((i) => i.includes('node_modules/highs/')))
    wasmBytes += (await stat(join(ROOT, WASM_ASSETS.highs))).size;
  const jsBytes = (await stat(file)).size;
  const times: number[] = [];
  for (let i = 0; i < IMPORT_RUNS; i++) {
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', IMPORT_PROBE, file], {
      env: { ...process.env, ...ENVIRONMENT },
    });
    times.push(Number(stdout.trim()));
  }
  times.sort((a, b) => a - b);
  const coldImportMsMedian = Math.round(times[Math.floor(times.length / 2)]!);
  return {
    function: name,
    jsBytes,
    wasmBytes,
    coldImportMsMedian,
    withinTargets: jsBytes <= TARGET_JS_BYTES && coldImportMsMedian <= TARGET_IMPORT_MS,
  };
}

const figures: BundleFigure[] = [];
for (const name of FUNCTION_NAMES) figures.push(await measure(name));
const kb = (b: number) => `${(b / 1024).toFixed(0)} KB`;
console.log(
  `Lambda bundles (esbuild ${ESBUILD_TARGET}, ESM, minified, AWS SDK external); targets ≤ 1 MB JS, ≤ ${TARGET_IMPORT_MS} ms`,
);
console.log(
  `${'function'.padEnd(14)}${'JS'.padStart(10)}${'wasm'.padStart(10)}${'import ms'.padStart(12)}  ok`,
);
for (const f of figures)
  console.log(
    `${f.function.padEnd(14)}${kb(f.jsBytes).padStart(10)}${(f.wasmBytes ? kb(f.wasmBytes) : '–').padStart(10)}${String(f.coldImportMsMedian).padStart(12)}  ${f.withinTargets ? 'yes' : 'NO'}`,
  );
await mkdir(join(ROOT, 'bench/results'), { recursive: true });
await writeFile(
  join(ROOT, 'bench/results/bundles.json'),
  `${JSON.stringify({ node: process.version, importRuns: IMPORT_RUNS, targets: { jsBytes: TARGET_JS_BYTES, importMs: TARGET_IMPORT_MS }, figures }, null, 2)}\n`,
);
await rm(OUT, { recursive: true, force: true });
