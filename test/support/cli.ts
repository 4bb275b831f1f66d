// Runs CLI commands in-process with their output captured.
import type { CommandIo } from '../../lib/cli/command.ts';

export function captureIo(cwd = process.cwd()): CommandIo & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    stdout: (t: string) => void (io.out += t),
    stderr: (t: string) => void (io.err += t),
    interactive: false,
    env: {},
    cwd,
  };
  return io;
}
