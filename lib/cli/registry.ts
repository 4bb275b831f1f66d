// Every command of the CLI, by name; a new command is a new file in commands/ and one line here.
import type { Command } from './command.ts';
import { agentCommand } from './commands/agent.ts';
import { attributionCommand } from './commands/attribution.ts';
import { catalogCommand } from './commands/catalog.ts';
import { forecastCommand } from './commands/forecast.ts';
import { reportCommand } from './commands/report.ts';
import { reconcileCommand } from './commands/reconcile.ts';
import { schemasCommand } from './commands/schemas.ts';
import { simulateCommand } from './commands/simulate.ts';

export const COMMANDS: readonly Command[] = [
  simulateCommand,
  schemasCommand,
  catalogCommand,
  agentCommand,
  forecastCommand,
  attributionCommand,
  reportCommand,
  reconcileCommand,
];
