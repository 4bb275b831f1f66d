import { describe, expect, it } from 'vitest';
import { runCli } from '../../lib/cli/main.ts';
import { captureIo } from '../support/cli.ts';

describe('the command line', () => {
  it('lists its commands, and exits 2 when given none', async () => {
    const io = captureIo();
    expect(await runCli([], io)).toBe(2);
    expect(io.out).toMatch(/Commands:\n.*schemas/s);
    expect(await runCli(['--help'], captureIo())).toBe(0);
  });

  it('exits 2 with the usage on an unknown command or flag, and names it', async () => {
    const io = captureIo();
    expect(await runCli(['frobnicate'], io)).toBe(2);
    expect(io.err).toMatch(/unknown command "frobnicate"/);
    const io2 = captureIo();
    expect(await runCli(['schemas', '--bogus'], io2)).toBe(2);
    expect(io2.err).toMatch(/--bogus/);
    expect(io2.err).toMatch(/Usage: gpu-optimizer schemas/);
  });

  it('shows help for every command', async () => {
    const { COMMANDS } = await import('../../lib/cli/registry.ts');
    for (const c of COMMANDS) {
      const io = captureIo();
      expect(await runCli([c.name, '--help'], io)).toBe(0);
      expect(io.out).toMatch(new RegExp(`Usage: gpu-optimizer ${c.name}`));
    }
  });

  it('checks the published schemas, as CI does', async () => {
    const io = captureIo();
    expect(await runCli(['schemas', '--check'], io)).toBe(0);
  });
});
