// The agent as a platform team installs it: the single-file bundle, on bare Node, with `--once`, against a local bus.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BUS_NAME } from '../../lib/domain/bus.ts';
import { buildAgent } from '../../scripts/build-agent.ts';
import { startEventBridgeStub, type EventBridgeStub } from '../support/eventbridge-stub.ts';

const FIXTURE = resolve('test/fixtures/nvidia-smi/synthetic__2x-a10g_query-gpu_noheader-nounits.csv');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe('the agent bundle with --once', () => {
  let dir: string;
  let bundle: string;
  let stub: EventBridgeStub;

  beforeAll(async () => {
    // A folder with nothing in it but the bundle: no node_modules, no package.json.
    dir = mkdtempSync(join(tmpdir(), 'agent-bundle-'));
    bundle = (await buildAgent(join(dir, 'gpu-optimizer-agent.mjs'))).file;
    stub = await startEventBridgeStub([DEFAULT_BUS_NAME]);
  }, 60_000);
  afterAll(async () => {
    await stub.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = (args: string[], endpoint: string) =>
    new Promise<Run>((done) => {
      execFile(
        process.execPath,
        [bundle, ...args],
        {
          cwd: dir,
          timeout: 60_000,
          env: {
            PATH: process.env.PATH,
            HOME: dir,
            AWS_REGION: 'us-east-1',
            AWS_ACCESS_KEY_ID: 'AKIDLOCAL',
            AWS_SECRET_ACCESS_KEY: 'local-secret',
            AWS_ENDPOINT_URL_EVENTBRIDGE: endpoint,
            AWS_MAX_ATTEMPTS: '1',
          },
        },
        (error, stdout, stderr) =>
          done({ code: error ? Number(error.code ?? 1) : 0, stdout: String(stdout), stderr: String(stderr) }),
      );
    });

  it('sends the window to the bus the stack creates, with no --bus given, and exits 0', async () => {
    const result = await run(
      ['--once', '--from-file', FIXTURE, '--node-id', 'gpu-017', '--spool', join(dir, 'spool-ok')],
      stub.url,
    );
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.code).toBe(0);
    expect(stub.entries.length).toBeGreaterThan(0);
    // Signed as EventBridge requires: SigV4 for the events service in the configured region.
    expect(stub.authorizations[0]).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDLOCAL\/\d{8}\/us-east-1\/events\/aws4_request, SignedHeaders=.*x-amz-target.*, Signature=[0-9a-f]{64}$/,
    );
    for (const entry of stub.entries) {
      expect(entry.EventBusName).toBe(DEFAULT_BUS_NAME);
      expect(entry.Source).toBe('gpu-optimizer.agent');
      expect(entry.DetailType).toBe('GPU Utilization Batch');
      const detail = JSON.parse(entry.Detail!) as { node: { nodeId: string }; gpus: unknown[] };
      expect(detail.node.nodeId).toBe('gpu-017');
    }
    expect(readFileSync(join(dir, 'spool-ok', 'spool.jsonl'), 'utf8').trim()).toBe('');
  });

  it('exits 1 and says so when nothing reached the bus, keeping the event spooled', async () => {
    const wrongBus = await run(
      [
        '--once',
        '--from-file',
        FIXTURE,
        '--node-id',
        'gpu-018',
        '--bus',
        'gpu-optimizer',
        '--spool',
        join(dir, 'spool-bad'),
      ],
      stub.url,
    );
    expect(wrongBus.code).toBe(1);
    expect(wrongBus.stderr).toContain('nothing delivered to bus gpu-optimizer');
    expect(readFileSync(join(dir, 'spool-bad', 'spool.jsonl'), 'utf8')).toContain('gpu-018');
  }, 60_000);

  it('exits 1 when the endpoint does not answer at all', async () => {
    const down = await run(
      ['--once', '--from-file', FIXTURE, '--node-id', 'gpu-019', '--spool', join(dir, 'spool-down')],
      'http://127.0.0.1:9',
    );
    expect(down.code).toBe(1);
    expect(down.stderr).toContain(`nothing delivered to bus ${DEFAULT_BUS_NAME}`);
  }, 60_000);

  it('prints its version without a package.json beside it', async () => {
    const version = await run(['--version'], stub.url);
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect(version.stdout.trim()).toBe(pkg.version);
  });
});
