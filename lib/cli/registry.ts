// Every command of the CLI, by name; a new command is a new file in commands/ and one line here.
import type { Command } from './command.ts';
import { schemasCommand } from './commands/schemas.ts';

export const COMMANDS: readonly Command[] = [schemasCommand];
