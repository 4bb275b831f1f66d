// `gpu-optimizer schemas`: writes (or checks) the JSON Schemas of every event into schemas/.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { focus13JsonSchema } from '../../attribution/focus13.ts';
import { eventJsonSchemas } from '../../domain/events.ts';
import { EXIT_FAILURE, EXIT_OK, stringFlag, type Command } from '../command.ts';

export function renderSchemas(): Map<string, string> {
  return new Map(
    Object.entries({
      ...eventJsonSchemas(),
      // Not an event: the FOCUS 1.3 rows `attribution export --format focus-1.3` writes.
      'focus-1.3-attribution.json': focus13JsonSchema(),
    }).map(([file, schema]) => [file, `${JSON.stringify(schema, null, 2)}\n`]),
  );
}

export const schemasCommand: Command = {
  name: 'schemas',
  summary: 'Write the JSON Schemas of every event into a folder (or check that it is up to date)',
  flags: {
    out: { type: 'string', default: 'schemas', description: 'Folder to write into', valueName: 'dir' },
    check: { type: 'boolean', description: 'Write nothing; exit 1 when a schema file is missing or stale' },
  },
  async run({ flags }, io) {
    const dir = resolve(io.cwd, stringFlag(flags, 'out') ?? 'schemas');
    const stale: string[] = [];
    if (!flags.check) await mkdir(dir, { recursive: true });
    for (const [file, text] of renderSchemas()) {
      const path = join(dir, file);
      if (flags.check) {
        const have = await readFile(path, 'utf8').catch(() => undefined);
        if (have !== text) stale.push(file);
      } else {
        await writeFile(path, text);
        io.stdout(`wrote ${path}\n`);
      }
    }
    if (stale.length > 0) {
      io.stderr(`stale or missing in ${dir}: ${stale.join(', ')}; run "npm run schemas"\n`);
      return EXIT_FAILURE;
    }
    return EXIT_OK;
  },
};
