import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { renderSchemas } from '../../lib/cli/commands/schemas.ts';

const schemasDir = new URL('../../schemas/', import.meta.url);

describe('published event schemas', () => {
  it('match the zod definitions (run "npm run schemas" when this fails)', async () => {
    const expected = renderSchemas();
    const files = (await readdir(schemasDir)).filter((f) => f.endsWith('.json')).sort();
    expect(files).toEqual([...expected.keys()].sort());
    for (const [file, text] of expected) {
      expect(await readFile(new URL(file, schemasDir), 'utf8'), `schemas/${file} is stale`).toBe(text);
    }
  });
});
