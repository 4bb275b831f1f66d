// Every door against its catalogue entry: one door per entry, opened by the entry's name and wrapped as every door
// is (one log style); the variables it reads are the ones its schema asks for, and a missing one fails naming it.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  environmentKeys,
  environmentSchema,
  ENVIRONMENT_KEYS,
  FUNCTION_NAMES,
  RUNS,
  type RunEntry,
} from '../../lib/system/catalogue.ts';
import { openDoor, toWire } from '../../lib/system/door.ts';

const source = (file: string) => readFileSync(new URL(`../../functions/${file}.ts`, import.meta.url), 'utf8');
const entry = (name: (typeof FUNCTION_NAMES)[number]) => RUNS[name] as RunEntry;

/** Values for every variable a door may read. */
const ALL = Object.fromEntries(ENVIRONMENT_KEYS.map((key) => [key, `value-of-${key}`]));

describe('one door per catalogue entry', () => {
  it('every functions/ file is the door of one entry, and every entry has its file', () => {
    const files = readdirSync(new URL('../../functions/', import.meta.url))
      .filter((f) => f.endsWith('.ts'))
      .map((f) => f.replace(/\.ts$/, ''));
    expect(files.sort()).toEqual(FUNCTION_NAMES.map((name) => entry(name).functionFile).sort());
  });

  for (const name of FUNCTION_NAMES)
    it(`${name}: opens its own entry and exports the handler wrapped as every door is`, () => {
      const text = source(entry(name).functionFile);
      expect(text).toContain(`openDoor('${name}')`);
      // A run that must not act twice gets the idempotency middleware; the door refuses to open otherwise.
      const idempotent = entry(name).idempotency !== undefined;
      expect(text).toContain(
        `\nexport const handler = door.wrap(${entry(name).functionFile.replace(/-(\w)/g, (_, c: string) => c.toUpperCase())}Handler${idempotent ? ', idempotencyMiddleware' : ''});\n`,
      );
      // One log style: the Powertools logger of the door (with the Lambda context), never a console of its own.
      expect(text).not.toMatch(/console\.|new Logger\(/);
    });
});

describe('idempotency as the catalogue says', () => {
  const env = Object.fromEntries(ENVIRONMENT_KEYS.map((key) => [key, `value-of-${key}`]));
  const run = async () => ({});
  const stub = () => ({ before: () => {} });
  it('a door whose run must not act twice refuses to be wrapped without it, and another with it', () => {
    expect(() => openDoor('interruption', env).wrap(run)).toThrow(
      /must not act twice.*idempotencyMiddleware/,
    );
    expect(() => openDoor('forecast', env).wrap(run, stub)).toThrow(/no idempotency in its catalogue entry/);
    expect(() => openDoor('interruption', env).wrap(run, stub)).not.toThrow();
  });
});

describe("a door's environment and its catalogue schema agree", () => {
  for (const name of FUNCTION_NAMES) {
    const keys = environmentKeys(entry(name));

    it(`${name}: reads no variable its schema does not ask for`, () => {
      const text = source(entry(name).functionFile);
      const read = [...text.matchAll(/(?:door\.environment|process\.env)\.([A-Z_]+)/g)].map((m) => m[1]);
      for (const key of read) expect(keys, `${name} reads ${key}`).toContain(key);
      // What its ports need: the table for the store or idempotency records, the bus for events.
      const e = entry(name);
      if (e.ports.includes('store') || e.idempotency) expect(keys).toContain('TABLE_NAME');
      if (e.ports.includes('events')) expect(keys).toContain('EVENT_BUS_NAME');
    });

    it(`${name}: opens with exactly its keys, and refuses to open without one, naming it`, () => {
      expect(Object.keys(environmentSchema(entry(name)).shape).sort()).toEqual([...keys].sort());
      const only = Object.fromEntries(keys.map((key) => [key, ALL[key]!]));
      expect(openDoor(name, only).environment).toEqual(only);
      for (const key of keys) {
        const { [key]: _missing, ...rest } = only;
        expect(() => openDoor(name, rest), `${name} without ${key}`).toThrow(new RegExp(key));
      }
    });
  }
});

describe('what a door returns', () => {
  it('is JSON as the Lambda runtime sends it: money (bigint micro-dollars) as 6-place decimal strings', () => {
    const result = {
      planId: 'p-1',
      totalCostUsd: 32_772_600n,
      actions: [{ kind: 'launch', expectedSavingUsdPerHour: -9_000_000n, nodeIds: [] }],
      note: undefined,
    };
    expect(() => JSON.stringify(result)).toThrow(/BigInt/);
    expect(JSON.parse(JSON.stringify(toWire(result)))).toEqual({
      planId: 'p-1',
      totalCostUsd: '32.772600',
      actions: [{ kind: 'launch', expectedSavingUsdPerHour: '-9.000000', nodeIds: [] }],
    });
  });
});
