// `gpu-optimizer report --html FILE`: the weekly savings report as a standalone page, read from the DynamoDB table.
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { formatUsd } from '../../domain/money.ts';
import { parseRfc3339, TimeFormatError } from '../../domain/time.ts';
import { systemClock } from '../../memory/clock.ts';
import { composeReport } from '../../runs/report.ts';
import { createDynamoStore } from '../../store/index.ts';
import { EXIT_OK, stringFlag, UsageError, type Command } from '../command.ts';
import { TABLE_FLAGS, tableClientFromFlags } from '../table-flags.ts';

export const reportCommand: Command = {
  name: 'report',
  summary: 'Write the weekly savings report (spend, savings by lever, idle waste, forecast) as an HTML page',
  flags: {
    html: { type: 'string', description: 'Write the report to this HTML file', valueName: 'file' },
    week: {
      type: 'string',
      description: 'Any time in the week to report (RFC 3339; default: the last complete week)',
      valueName: 'time',
    },
    text: { type: 'boolean', description: 'Print the plain-text report to standard output' },
    json: { type: 'boolean', description: 'Print the headline figures as JSON' },
    ...TABLE_FLAGS,
  },
  details: [
    'Weeks run Monday 00:00 to Monday 00:00 UTC. The page is the same HTML the weekly e-mail carries.',
    '',
    'Example:',
    '  gpu-optimizer report --html report.html --week 2026-03-02T00:00:00Z --table gpu-optimizer',
  ].join('\n'),
  async run({ flags }, io) {
    const html = stringFlag(flags, 'html');
    if (!html && !flags.text && !flags.json)
      throw new UsageError('say what to write: --html FILE, --text or --json');
    const weekText = stringFlag(flags, 'week');
    let weekOfMs: number | undefined;
    if (weekText !== undefined) {
      try {
        weekOfMs = parseRfc3339(weekText);
      } catch (error) {
        if (error instanceof TimeFormatError) throw new UsageError(`--week: ${error.message}`);
        throw error;
      }
    }
    const { tableName, client } = tableClientFromFlags(flags, io);
    try {
      const rendered = await composeReport(
        { store: createDynamoStore({ client, tableName }), clock: systemClock },
        weekOfMs !== undefined ? { weekOfMs } : {},
      );
      if (html) {
        await writeFile(resolve(io.cwd, html), rendered.html);
        io.stderr(`wrote the report of the week of ${rendered.report.weekStart.slice(0, 10)} to ${html}\n`);
      }
      if (flags.text) io.stdout(rendered.text);
      if (flags.json) {
        const r = rendered.report;
        io.stdout(
          `${JSON.stringify({
            weekStart: r.weekStart,
            weekEnd: r.weekEnd,
            totalSpendUsd: formatUsd(r.totalSpendUsd),
            savingsDoneUsd: formatUsd(r.savingsDoneUsd),
            savingsRecommendedUsd: formatUsd(r.savingsRecommendedUsd),
            idleWasteUsd: formatUsd(r.idleWasteUsd),
          })}\n`,
        );
      }
      return EXIT_OK;
    } finally {
      client.destroy();
    }
  },
};
