// Builds the node agent as one file that runs on a bare Node 24 with nothing installed beside it.
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const AGENT_BUNDLE = 'dist/agent/gpu-optimizer-agent.mjs';

/**
 * Node flags the agent runs with (NODE_OPTIONS in the image, the unit and the DaemonSet): a small young
 * generation and no optimizing compiler; the agent works a few milliseconds every 10 s, and these flags take
 * about 10 MiB off its resident memory (bench:agent).
 */
export const AGENT_NODE_OPTIONS = '--max-semi-space-size=1 --lite-mode';

/** CommonJS dependencies call require(); an ESM bundle has none of its own. */
const REQUIRE_BANNER =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

export async function buildAgent(
  outFile = resolve(ROOT, AGENT_BUNDLE),
): Promise<{ file: string; bytes: number }> {
  const pkg = JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as { version: string };
  mkdirSync(dirname(outFile), { recursive: true });
  await build({
    entryPoints: [resolve(ROOT, 'bin/gpu-optimizer-agent.ts')],
    outfile: outFile,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    minify: true,
    // Off a GPU node the agent needs the AWS SDK, so unlike the Lambda bundles it carries it.
    banner: { js: `#!/usr/bin/env node\n${REQUIRE_BANNER}` },
    define: { GPU_OPTIMIZER_VERSION: JSON.stringify(pkg.version) },
    legalComments: 'none',
    logLevel: 'warning',
  });
  return { file: outFile, bytes: statSync(outFile).size };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { file, bytes } = await buildAgent();
  process.stdout.write(`${file.slice(ROOT.length)}: ${(bytes / 1024).toFixed(0)} KiB\n`);
}
