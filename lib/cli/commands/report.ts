// `gpu-optimizer report --html FILE`: the weekly savings report as a standalone page, read from the DynamoDB table.
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { formatUsd } from '../../domain/money.ts';
import { parseRfc3339, TimeFormatError } from '../../domain/time.ts';
import { systemClock } from '../../memory/clock.ts';
import { composeReport } from '../../runs/report.ts';
import { createDynamoStore } from '../../store/index.ts';
import { EXIT_OK, stringFlag, UsageError, type Command, type CommandIo, type FlagSpec } from '../command.ts';

/** The flags tableClientFromFlags reads, for every command that reads the table. */
export const TABLE_FLAGS: Record<'table' | 'endpoint' | 'region', FlagSpec> = {
  table: {
    type: 'string',
    description: 'DynamoDB table (default: $GPU_OPTIMIZER_TABLE)',
    valueName: 'name',
  },
  endpoint: {
    type: 'string',
    description: 'DynamoDB endpoint (default: $AWS_ENDPOINT_URL_DYNAMODB)',
    valueName: 'url',
  },
  region: { type: 'string', description: 'AWS region (default: $AWS_REGION)', valueName: 'region' },
};

/** A document client for the table the flags or the environment name (a local engine through its endpoint). */
export function tableClientFromFlags(flags: Record<string, unknown>, io: CommandIo) {
  const tableName = stringFlag(flags, 'table') ?? io.env.GPU_OPTIMIZER_TABLE;
  if (!tableName) throw new UsageError('--table (or GPU_OPTIMIZER_TABLE) names the DynamoDB table to read');
  const endpoint = stringFlag(flags, 'endpoint') ?? io.env.AWS_ENDPOINT_URL_DYNAMODB;
  const config: DynamoDBClientConfig = {
    region: stringFlag(flags, 'region') ?? io.env.AWS_REGION ?? 'us-east-1',
    ...(endpoint ? { endpoint } : {}),
  };
  // A local engine accepts any key; without one in the environment the SDK would refuse to sign.
  if (endpoint && !io.env.AWS_ACCESS_KEY_ID)
    config.credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  return { tableName, client: DynamoDBDocumentClient.from(new DynamoDBClient(config)) };
}

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
