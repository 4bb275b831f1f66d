// `gpu-optimizer attribution export`: writes the stored FOCUS attribution rows of a time range as CSV or JSON.
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { attributionCsv, attributionJson } from '../../attribution/export.ts';
import { focus13Csv } from '../../attribution/focus13.ts';
import type { AttributionRow } from '../../domain/attribution.ts';
import { createDynamoStore } from '../../store/index.ts';
import { EXIT_OK, stringFlag, timeFlag, UsageError, type Command, type CommandIo } from '../command.ts';
import { TABLE_FLAGS, tableClientFromFlags } from '../table-flags.ts';

const FORMATS = ['csv', 'json', 'focus-1.3'] as const;

/** Reads the rows from the table the flags or the environment name (a local engine through its endpoint). */
async function readRows(flags: Record<string, unknown>, io: CommandIo, fromMs: number, toMs: number) {
  const { tableName, client } = tableClientFromFlags(flags, io);
  try {
    return await createDynamoStore({ client, tableName }).attribution.between(fromMs, toMs);
  } finally {
    client.destroy();
  }
}

export const attributionCommand: Command = {
  name: 'attribution',
  summary: 'Export attributed GPU cost (FOCUS rows: job, user, project, team) for a time range',
  positionals: 'export',
  flags: {
    format: {
      type: 'string',
      default: 'csv',
      description: 'csv, json or focus-1.3 (FOCUS 1.3 CSV with split cost allocation columns)',
      valueName: 'format',
    },
    from: { type: 'string', description: 'Start of the range (RFC 3339, inclusive)', valueName: 'time' },
    to: { type: 'string', description: 'End of the range (RFC 3339, exclusive)', valueName: 'time' },
    ...TABLE_FLAGS,
    out: { type: 'string', description: 'Write to this file instead of standard output', valueName: 'file' },
  },
  details: [
    'Hours are whole: a row belongs to the range when its ChargePeriodStart is inside it.',
    'CSV columns follow the FOCUS order; money has 6 decimal places; Tags is a JSON object.',
    '',
    'Example:',
    '  gpu-optimizer attribution export --format csv --from 2026-03-01T00:00:00Z --to 2026-04-01T00:00:00Z',
  ].join('\n'),
  async run({ flags, positionals }, io) {
    if (positionals.length !== 1 || positionals[0] !== 'export') {
      throw new UsageError(`expected the subcommand "export", got ${JSON.stringify(positionals.join(' '))}`);
    }
    const format = stringFlag(flags, 'format') ?? 'csv';
    if (!(FORMATS as readonly string[]).includes(format)) {
      throw new UsageError(`--format must be csv, json or focus-1.3, got ${JSON.stringify(format)}`);
    }
    const fromMs = timeFlag(flags, 'from', true);
    const toMs = timeFlag(flags, 'to', true);
    if (toMs <= fromMs) throw new UsageError('--to must be later than --from');
    const rows: AttributionRow[] = await readRows(flags, io, fromMs, toMs);
    const text =
      format === 'csv' ? attributionCsv(rows) : format === 'json' ? attributionJson(rows) : focus13Csv(rows);
    const out = stringFlag(flags, 'out');
    if (out) {
      await writeFile(resolve(io.cwd, out), text);
      io.stderr(`wrote ${rows.length} rows to ${out}\n`);
    } else io.stdout(text);
    return EXIT_OK;
  },
};
