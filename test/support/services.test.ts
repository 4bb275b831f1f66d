// requireService: a missing Debian service skips the tests naming its package, but fails the run under CI=true.
import { afterEach, describe, expect, it } from 'vitest';
import { findBinary, requireService } from './services.ts';

describe('requireService', () => {
  const ci = process.env.CI;
  afterEach(() => {
    if (ci === undefined) delete process.env.CI;
    else process.env.CI = ci;
  });

  it('finds an installed binary on PATH', () => {
    expect(findBinary('node')).toMatch(/node$/);
    expect(requireService('node', 'nodejs')).toMatchObject({ available: true });
  });

  it('outside CI, a missing binary is a skip whose reason names the Debian package', () => {
    delete process.env.CI;
    expect(requireService('no-such-binary-gpu-optimizer', 'slurm-wlm')).toEqual({
      available: false,
      reason: expect.stringContaining('apt-get install slurm-wlm'),
    });
  });

  it('under CI=true, a missing binary fails', () => {
    process.env.CI = 'true';
    expect(() => requireService('no-such-binary-gpu-optimizer', 'prometheus')).toThrow(/CI=true.*prometheus/);
  });
});
