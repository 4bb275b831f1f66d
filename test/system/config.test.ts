// The one config: strict (a typo names its nearest key), secrets only by reference, URLs redacted wherever logged.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RUNS } from '../../lib/system/catalogue.ts';
import { parseDeployConfig } from '../../lib/system/config.ts';
import { redactSecrets, redactText, redactUrl } from '../../lib/domain/redact.ts';
import { resolveConnectors } from '../../lib/system/secrets.ts';
import { nearestKey } from '../../lib/system/strict.ts';

const EXAMPLE = JSON.parse(readFileSync('config/example.json', 'utf8')) as Record<string, unknown>;

describe('strict deploy config', () => {
  it('refuses a typo key, naming it and the key that was meant (it used to deploy KILL_SWITCH=off silently)', () => {
    expect(() => parseDeployConfig({ ...EXAMPLE, mode: 'enforce', killswitch: true })).toThrow(
      'invalid deploy config: killswitch: unknown key (did you mean killSwitch?)',
    );
    expect(() => parseDeployConfig({ ...EXAMPLE, optimize: { maxActionPerRun: 3 } })).toThrow(
      /optimize\.maxActionPerRun: unknown key \(did you mean maxActionsPerRun\?\)/,
    );
    const pools = [{ ...(EXAMPLE.pools as object[])[0], gpuModl: 'A10G' }];
    expect(() => parseDeployConfig({ ...EXAMPLE, pools })).toThrow(
      /pools\[0\]\.gpuModl: unknown key \(did you mean gpuModel\?\)/,
    );
    expect(nearestKey('zzzz', ['killSwitch', 'mode'])).toBeUndefined();
  });

  it('says where a moved setting went', () => {
    expect(() => parseDeployConfig({ ...EXAMPLE, thresholds: { maxReleasesPerRun: 5 } })).toThrow(
      /thresholds: unknown key \(moved: .*reclaim\.policy\.maxReleasesPerRun/,
    );
  });

  it('takes a secret only by its name, and a URL with no credential in it', () => {
    const slurm = { url: 'https://slurm.internal:6820', user: 'svc', token: 'eyJ.secret.jwt' };
    expect(() => parseDeployConfig({ ...EXAMPLE, connectors: { slurm } })).toThrow(
      /connectors\.slurm\.token: unknown key \(a secret goes by reference: .*tokenSecretName\)/,
    );
    expect(() =>
      parseDeployConfig({
        ...EXAMPLE,
        connectors: { prometheus: { url: 'https://ops:hunter2@prom.internal:9090' } },
      }),
    ).toThrow(/connectors\.prometheus\.url: must not carry user:password@/);
  });

  it('gives each run its options from the one config: one setting, one place', () => {
    const config = parseDeployConfig({
      ...EXAMPLE,
      mode: 'enforce',
      killSwitch: true,
      reclaim: { policy: { maxReleasesPerRun: 7 } },
    });
    // The kill switch turns every capacity run to recommend, through the catalogue, not in each door.
    expect(RUNS.optimize.options(config)).toMatchObject({
      mode: 'recommend',
      killSwitch: true,
      maxActionsPerRun: 10,
    });
    expect(RUNS.interruption.options(config).mode).toBe('recommend');
    expect(RUNS.reclaim.options(config).policy).toMatchObject({
      mode: 'recommend',
      killSwitch: true,
      maxReleasesPerRun: 7,
    });
    expect(() => parseDeployConfig({ ...EXAMPLE, reclaim: { policy: { maxPoolReleasePct: 101 } } })).toThrow(
      /reclaim\.policy\.maxPoolReleasePct/,
    );
  });

  it('reads each named secret when the connectors are built', async () => {
    const config = parseDeployConfig({
      ...EXAMPLE,
      connectors: {
        slurm: { url: 'https://slurm.internal:6820', user: 'svc', tokenSecretName: 'gpu/slurm' },
      },
    });
    const read: string[] = [];
    const resolved = await resolveConnectors(config.connectors!, async (name) => {
      read.push(name);
      return 'eyJ.the.jwt';
    });
    expect(read).toEqual(['gpu/slurm']);
    expect(resolved.slurm).toMatchObject({ token: 'eyJ.the.jwt', user: 'svc' });
  });
});

describe('redaction', () => {
  it('hides user:password and token parameters of URLs, in URLs, texts and nested fields', () => {
    expect(redactUrl('https://ops:hunter2@prom.internal:9090/api/v1/query?query=up&token=abc')).toBe(
      'https://***:***@prom.internal:9090/api/v1/query?query=up&token=***',
    );
    expect(redactText('fetch https://ops:hunter2@prom.internal:9090/x failed: ECONNREFUSED')).toBe(
      'fetch https://***:***@prom.internal:9090/x failed: ECONNREFUSED',
    );
    const fields = redactSecrets({
      error: 'GET https://a:b@h/x?access_token=t1 → 500',
      nested: [{ token: 'eyJ', tokenSecretName: 'gpu/slurm' }],
    });
    expect(JSON.stringify(fields)).not.toMatch(/hunter2|a:b@|t1|eyJ/);
    expect(fields.nested[0]!.tokenSecretName).toBe('gpu/slurm');
  });
});
