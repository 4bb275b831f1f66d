// Runs one command line against a list of commands: finds the command, parses its flags, maps failures to exit codes.
import { readFileSync } from 'node:fs';
import {
  commandHelp,
  EXIT_FAILURE,
  EXIT_OK,
  EXIT_USAGE,
  parseCommandLine,
  UsageError,
  type Command,
  type CommandIo,
} from './command.ts';

export const PROGRAM = 'gpu-optimizer';

/** Set by the agent's single-file bundle, which has no package.json beside it. */
declare const GPU_OPTIMIZER_VERSION: string | undefined;

function version(): string {
  if (typeof GPU_OPTIMIZER_VERSION === 'string') return GPU_OPTIMIZER_VERSION;
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

export function programHelp(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  return [
    `Usage: ${PROGRAM} <command> [flags]`,
    '',
    'GPU cost optimizer: forecast demand, plan the cheapest capacity mix, reclaim idle GPUs, attribute every dollar.',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    `Run "${PROGRAM} <command> --help" for a command's flags.`,
    '',
  ].join('\n');
}

export async function runCommands(
  commands: readonly Command[],
  argv: string[],
  io: CommandIo,
): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(programHelp(commands));
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (name === '--version' || name === '-v') {
    io.stdout(`${version()}\n`);
    return EXIT_OK;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.stderr(`${PROGRAM}: unknown command ${JSON.stringify(name)}\n\n${programHelp(commands)}`);
    return EXIT_USAGE;
  }
  try {
    const input = parseCommandLine(command, rest);
    if (input.flags.help) {
      io.stdout(commandHelp(command, PROGRAM));
      return EXIT_OK;
    }
    return await command.run(input, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`${PROGRAM} ${command.name}: ${error.message}\n\n${commandHelp(command, PROGRAM)}`);
      return EXIT_USAGE;
    }
    io.stderr(`${PROGRAM} ${command.name}: ${(error as Error).message ?? String(error)}\n`);
    if (io.env.GPU_OPTIMIZER_DEBUG) io.stderr(`${(error as Error).stack ?? ''}\n`);
    return EXIT_FAILURE;
  }
}

export function processIo(): CommandIo {
  return {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    interactive: Boolean(process.stderr.isTTY),
    env: process.env,
    cwd: process.cwd(),
  };
}
