// Strict config parsing: an unknown key anywhere is an error naming it and the nearest valid key, whatever the schema's own strictness.
import type { z } from 'zod';
import { describeZodError, formatIssuePath, ValidationError } from '../domain/validation.ts';

/** Edit distance between two keys (insertions, deletions, substitutions), case-insensitive. */
export function levenshtein(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const current = [i];
    for (let j = 1; j <= y.length; j++)
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1),
      );
    previous = current;
  }
  return previous[y.length]!;
}

/** The valid key closest to a typo, if one is close enough to be what was meant (a third of its length). */
export function nearestKey(key: string, valid: readonly string[]): string | undefined {
  let best: { key: string; distance: number } | undefined;
  for (const candidate of valid) {
    const distance = levenshtein(key, candidate);
    if (!best || distance < best.distance) best = { key: candidate, distance };
  }
  return best && best.distance <= Math.max(2, Math.ceil(key.length / 3)) ? best.key : undefined;
}

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  in?: z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  left?: z.ZodType;
  right?: z.ZodType;
  catchall?: z.ZodType;
}
const defOf = (schema: z.ZodType) => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** The object shapes a value at this schema may take (several for a union), wrappers unwrapped. */
function shapesOf(schema: z.ZodType): Def[] {
  const def = defOf(schema);
  switch (def.type) {
    case 'object':
      return [def];
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      return shapesOf(def.innerType!);
    case 'pipe':
      return shapesOf(def.in!);
    case 'union':
      return def.options!.flatMap(shapesOf);
    case 'intersection':
      return [...shapesOf(def.left!), ...shapesOf(def.right!)];
    default:
      return [def];
  }
}

export interface UnknownKey {
  path: (string | number)[];
  key: string;
  suggestion?: string;
}

/** Every key of the input that no schema at its place declares; schemas that allow any key (catchall, unknown) end the walk. */
export function findUnknownKeys(
  schema: z.ZodType,
  input: unknown,
  path: (string | number)[] = [],
): UnknownKey[] {
  if (input === null || typeof input !== 'object') return [];
  const shapes = shapesOf(schema);
  const found: UnknownKey[] = [];
  if (Array.isArray(input)) {
    const element = shapes.find((d) => d.type === 'array')?.element;
    if (element) input.forEach((item, i) => found.push(...findUnknownKeys(element, item, [...path, i])));
    return found;
  }
  const record = shapes.find((d) => d.type === 'record')?.valueType;
  if (record) {
    for (const [key, value] of Object.entries(input))
      found.push(...findUnknownKeys(record, value, [...path, key]));
    return found;
  }
  const objects = shapes.filter((d) => d.type === 'object');
  // An open object, or a value whose schema is not an object at all (z.unknown, a transform of any): not ours to judge.
  if (objects.length === 0 || objects.some((d) => d.catchall && defOf(d.catchall).type !== 'never'))
    return found;
  const valid = [...new Set(objects.flatMap((d) => Object.keys(d.shape!)))];
  for (const [key, value] of Object.entries(input)) {
    const declaring = objects.find((d) => key in d.shape!);
    if (declaring) found.push(...findUnknownKeys(declaring.shape![key]!, value, [...path, key]));
    else {
      const suggestion = nearestKey(key, valid);
      found.push({ path, key, ...(suggestion ? { suggestion } : {}) });
    }
  }
  return found;
}

/** "killswitch: unknown key (did you mean killSwitch?)" */
export function describeUnknownKey(
  { path, key, suggestion }: UnknownKey,
  hints: Readonly<Record<string, string>> = {},
): string {
  const where = path.length > 0 ? `${formatIssuePath(path)}.${key}` : key;
  const hint = Object.hasOwn(hints, key)
    ? hints[key]
    : suggestion
      ? `did you mean ${suggestion}?`
      : undefined;
  return `${where}: unknown key${hint ? ` (${hint})` : ''}`;
}

/**
 * Parses a config strictly: unknown keys first (a typo is never silently dropped, even when the schema
 * strips), then the schema's own checks. Throws a ValidationError whose message is short enough to print as is.
 */
export function parseStrict<S extends z.ZodType>(
  schema: S,
  input: unknown,
  what: string,
  hints: Readonly<Record<string, string>> = {},
): z.output<S> {
  const unknown = findUnknownKeys(schema, input);
  const result = schema.safeParse(input);
  const issues = [
    ...unknown.map((u) => describeUnknownKey(u, hints)),
    ...(result.success ? [] : [describeZodError(result.error)]),
  ];
  if (issues.length > 0) throw new ValidationError(what, issues.join('; '));
  return (result as { data: z.output<S> }).data;
}
