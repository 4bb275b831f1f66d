// Turning zod failures into one line a person can act on: the field's path and what was wrong.
import type { z } from 'zod';

export function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out || '(root)';
}

/** "gpus[0].readings[3].utilizationPct: Too big: expected number to be <=100; node.poolId: …" */
export function describeZodError(error: z.ZodError, prefix = ''): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${formatIssuePath([...(prefix ? [prefix] : []), ...i.path])}: ${i.message}`)
    .concat(error.issues.length > 5 ? [`… and ${error.issues.length - 5} more`] : [])
    .join('; ');
}

export class ValidationError extends Error {
  constructor(
    readonly what: string,
    readonly issues: string,
  ) {
    super(`invalid ${what}: ${issues}`);
    this.name = 'ValidationError';
  }
}

/** Parses or throws a ValidationError that names the field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw new ValidationError(what, describeZodError(result.error));
  return result.data;
}
