// bench:agent — the node agent over simulated hours of 10-second sampling: heap growth per day and resident memory.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { linearRegression } from 'simple-statistics';
import { alignColumns } from '../lib/cli/columns.ts';
import { DEFAULT_BUS_NAME } from '../lib/domain/bus.ts';
import { AGENT_NODE_OPTIONS } from '../scripts/build-agent.ts';
import { startEventBridgeStub } from '../test/support/eventbridge-stub.ts';

const HOURS = Number(process.argv[2] ?? 24);
/** The first hours fill caches and the SDK's connection pool; growth is measured after them. */
const WARM_UP_HOURS = 2;
const MiB = 1024 * 1024;

interface Soak {
  variant: string;
  hours: number;
  samples: number;
  batches: number;
  spooled: number;
  marks: { hour: number; heapUsedBytes: number; rssBytes: number }[];
}

function runNode(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((done, fail) =>
    execFile(
      process.execPath,
      args,
      { env, maxBuffer: 64 * MiB, timeout: 30 * 60_000 },
      (error, stdout, stderr) =>
        error ? fail(new Error(`${error.message}\n${stderr}`)) : done(String(stdout)),
    ),
  );
}

function growthMiBPerDay(soak: Soak): number {
  const points = soak.marks
    .filter((m) => m.hour >= WARM_UP_HOURS)
    .map((m) => [m.hour, m.heapUsedBytes / MiB]);
  return linearRegression(points).m * 24;
}

const dir = mkdtempSync(join(tmpdir(), 'bench-agent-'));
const soakBundle = join(dir, 'soak.mjs');
// Bundled as the shipped agent is, so the child carries the agent's code and the SDK and nothing of tsx.
await build({
  entryPoints: [new URL('./agent/soak.ts', import.meta.url).pathname],
  outfile: soakBundle,
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  minify: true,
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
const stub = await startEventBridgeStub([DEFAULT_BUS_NAME]);
const env = {
  PATH: process.env.PATH,
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIDLOCAL',
  AWS_SECRET_ACCESS_KEY: 'local-secret',
  AWS_ENDPOINT_URL_EVENTBRIDGE: stub.url,
};
const started = Date.now();
const bareNodeRss = Number(
  await runNode(['--expose-gc', '-e', 'gc(); process.stdout.write(String(process.memoryUsage().rss))'], env),
);
const soaks: Soak[] = [];
for (const variant of ['fixed', 'leaky']) {
  process.stderr.write(`soaking the agent (${variant}) for ${HOURS} simulated hours…\n`);
  soaks.push(
    JSON.parse(
      await runNode(
        ['--expose-gc', ...AGENT_NODE_OPTIONS.split(' '), soakBundle, String(HOURS), variant],
        env,
      ),
    ) as Soak,
  );
}
await stub.close();
rmSync(dir, { recursive: true, force: true });

const rows = soaks.map((s) => ({
  variant: s.variant,
  samples: s.samples,
  batches: s.batches,
  spooled: s.spooled,
  heapGrowthMiBPerDay: growthMiBPerDay(s),
  rssMiB: Math.max(...s.marks.map((m) => m.rssBytes)) / MiB,
  heapMiB: s.marks.at(-1)!.heapUsedBytes / MiB,
}));
const fixed = rows.find((r) => r.variant === 'fixed')!;
const leaky = rows.find((r) => r.variant === 'leaky')!;
const table = alignColumns(
  [
    'agent',
    'samples',
    'batches sent',
    'left spooled',
    'heap growth MiB/day',
    'heap MiB',
    'peak RSS MiB',
    '× bare node RSS',
  ],
  rows.map((r) => [
    r.variant === 'fixed' ? 'as shipped' : 'one abort listener left per sample (before)',
    r.samples.toLocaleString('en-US'),
    r.batches.toLocaleString('en-US'),
    String(r.spooled),
    r.heapGrowthMiBPerDay.toFixed(2),
    r.heapMiB.toFixed(1),
    r.rssMiB.toFixed(1),
    (r.rssMiB / (bareNodeRss / MiB)).toFixed(2),
  ]),
);
process.stdout.write(
  `${table.join('\n')}\n\n${HOURS} simulated hours at 10 s sampling, 8 GPUs, node ${AGENT_NODE_OPTIONS}; bare node ${(bareNodeRss / MiB).toFixed(1)} MiB RSS; ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
);
const result = {
  hours: HOURS,
  sampleIntervalSeconds: 10,
  gpus: 8,
  nodeOptions: AGENT_NODE_OPTIONS,
  heapGrowthMiBPerDay: Number(fixed.heapGrowthMiBPerDay.toFixed(3)),
  rssMiB: Number(fixed.rssMiB.toFixed(1)),
  bareNodeRssMiB: Number((bareNodeRss / MiB).toFixed(1)),
  rssOverBareNode: Number((fixed.rssMiB / (bareNodeRss / MiB)).toFixed(2)),
  before: {
    heapGrowthMiBPerDay: Number(leaky.heapGrowthMiBPerDay.toFixed(3)),
    rssMiB: Number(leaky.rssMiB.toFixed(1)),
  },
  targets: { heapGrowthMiBPerDay: 1, rssMiB: 64 },
  runs: rows,
};
await mkdir(new URL('./results/', import.meta.url), { recursive: true });
await writeFile(new URL('./results/agent.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
