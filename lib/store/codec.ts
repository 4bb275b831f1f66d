// Entities to and from their stored (wire) form: money as 6-place decimal strings, validated both ways.
import { z } from 'zod';
import { describeZodError, ValidationError } from '../domain/validation.ts';

/** The stored form of an entity; throws a ValidationError naming the field when the value breaks its schema. */
export function encodeEntity<S extends z.ZodType>(schema: S, value: z.output<S>, what: string): z.input<S> {
  try {
    return z.encode(schema, value);
  } catch (error) {
    if (error instanceof z.ZodError) throw new ValidationError(what, describeZodError(error));
    throw error;
  }
}

/** An entity from its stored form; a stored item that no longer fits the schema is reported, not returned. */
export function decodeEntity<S extends z.ZodType>(schema: S, stored: unknown, what: string): z.output<S> {
  try {
    return z.decode(schema, stored as z.input<S>);
  } catch (error) {
    if (error instanceof z.ZodError) throw new ValidationError(what, describeZodError(error));
    throw error;
  }
}
