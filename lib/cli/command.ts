// What a CLI command is: a name, its flags, its help, and a run that returns an exit code scripts can trust.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parseRfc3339 } from '../domain/time.ts';

/** Exit codes: 0 done; 1 the work failed; 2 the command line was wrong (nothing was done). */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export type FlagSpec = NonNullable<ParseArgsConfig['options']>[string] & {
  description: string;
  valueName?: string;
};

export interface CommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Whether stderr is a terminal, so progress bars are drawn only for people. */
  interactive: boolean;
  env: Record<string, string | undefined>;
  cwd: string;
}

export interface Command {
  name: string;
  summary: string;
  /** Extra lines of help after the flags: examples, what the output holds. */
  details?: string;
  flags: Record<string, FlagSpec>;
  /** Names of positional arguments, for the usage line. */
  positionals?: string;
  run(input: { flags: Record<string, unknown>; positionals: string[] }, io: CommandIo): Promise<number>;
}

/** A wrong command line: printed with the command's usage, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function parseCommandLine(command: Command, args: string[]) {
  const options: ParseArgsConfig['options'] = { help: { type: 'boolean', short: 'h' } };
  for (const [name, spec] of Object.entries(command.flags)) {
    const { description: _d, valueName: _v, ...config } = spec;
    options[name] = config;
  }
  try {
    const parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
    return { flags: parsed.values as Record<string, unknown>, positionals: parsed.positionals };
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, ''));
  }
}

export function commandHelp(command: Command, program: string): string {
  const lines = [
    `Usage: ${program} ${command.name}${command.positionals ? ` ${command.positionals}` : ''} [flags]`,
    '',
    command.summary,
    '',
  ];
  const flags = Object.entries(command.flags);
  if (flags.length > 0) {
    lines.push('Flags:');
    for (const [name, spec] of flags) {
      const value = spec.type === 'string' ? ` <${spec.valueName ?? 'value'}>` : '';
      const dflt =
        spec.default !== undefined && spec.type === 'string' ? ` (default: ${String(spec.default)})` : '';
      lines.push(`  --${name}${value}`.padEnd(30) + ` ${spec.description}${dflt}`);
    }
  }
  lines.push('  --help'.padEnd(30) + ' Show this help');
  if (command.details) lines.push('', command.details);
  return lines.join('\n') + '\n';
}

/** Reads a flag as a string, or undefined. */
export function stringFlag(flags: Record<string, unknown>, name: string): string | undefined {
  const v = flags[name];
  return typeof v === 'string' ? v : undefined;
}

/** Reads a flag as a finite number within bounds, or throws a UsageError naming the flag. */
export function numberFlag(
  flags: Record<string, unknown>,
  name: string,
  bounds: { min?: number; max?: number; integer?: boolean } = {},
): number | undefined {
  const raw = stringFlag(flags, name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n))
    throw new UsageError(`--${name} must be a number, got ${JSON.stringify(raw)}`);
  if (bounds.integer && !Number.isInteger(n))
    throw new UsageError(`--${name} must be a whole number, got ${raw}`);
  if (bounds.min !== undefined && n < bounds.min)
    throw new UsageError(`--${name} must be at least ${bounds.min}, got ${raw}`);
  if (bounds.max !== undefined && n > bounds.max)
    throw new UsageError(`--${name} must be at most ${bounds.max}, got ${raw}`);
  return n;
}

/**
 * Reads a flag as a UTC time: RFC 3339, or a date (2017-11-01, midnight UTC). Undefined when absent, unless
 * `required`, which makes its absence a UsageError naming the flag.
 */
export function timeFlag(flags: Record<string, unknown>, name: string, required: true): number;
export function timeFlag(flags: Record<string, unknown>, name: string, required?: false): number | undefined;
export function timeFlag(flags: Record<string, unknown>, name: string, required = false): number | undefined {
  const raw = stringFlag(flags, name);
  if (raw === undefined) {
    if (required)
      throw new UsageError(`--${name} is required (RFC 3339, like 2026-03-01T00:00:00Z, or a date)`);
    return undefined;
  }
  try {
    return parseRfc3339(/^\d{4}-\d{2}-\d{2}$/.test(raw) ? `${raw}T00:00:00Z` : raw);
  } catch {
    throw new UsageError(
      `--${name} must be a date (2017-11-01) or an RFC 3339 time, got ${JSON.stringify(raw)}`,
    );
  }
}
