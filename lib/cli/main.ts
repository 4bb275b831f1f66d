// The CLI's dispatcher: finds the command, parses its flags, maps failures to exit codes.
import { readFileSync } from 'node:fs';
import {
  commandHelp,
  EXIT_FAILURE,
  EXIT_OK,
  EXIT_USAGE,
  parseCommandLine,
  UsageError,
  type CommandIo,
} from './command.ts';
import { COMMANDS } from './registry.ts';

const PROGRAM = 'gpu-optimizer';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

export function programHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return [
    `Usage: ${PROGRAM} <command> [flags]`,
    '',
    'GPU cost optimizer: forecast demand, plan the cheapest capacity mix, reclaim idle GPUs, attribute every dollar.',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    `Run "${PROGRAM} <command> --help" for a command's flags.`,
    '',
  ].join('\n');
}

export async function runCli(argv: string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(programHelp());
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (name === '--version' || name === '-v') {
    io.stdout(`${version()}\n`);
    return EXIT_OK;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.stderr(`${PROGRAM}: unknown command ${JSON.stringify(name)}\n\n${programHelp()}`);
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
