// The CLI's entry: every command of the registry, dispatched by lib/cli/dispatch.ts.
import type { CommandIo } from './command.ts';
import { processIo, programHelp as helpFor, runCommands } from './dispatch.ts';
import { COMMANDS } from './registry.ts';

export { processIo };

export function programHelp(): string {
  return helpFor(COMMANDS);
}

export async function runCli(argv: string[], io: CommandIo): Promise<number> {
  return runCommands(COMMANDS, argv, io);
}
