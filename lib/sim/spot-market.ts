// Spot capacity over time for simulated pools, from the bundled real spot-fleet traces (data/spot).
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { describeZodError } from '../domain/validation.ts';
import { parseCsvTable } from '../pricing/csv-table.ts';

const DEFAULT_FILE = new URL('../../data/spot/availability-hourly.csv', import.meta.url);

const zRow = z.object({
  trace: z.string().min(1),
  hour: z.coerce.number().int().min(0),
  available_fraction: z.coerce.number().min(0).max(1),
});

/** The bundled traces concatenated: one available fraction per hour. */
export function loadSpotFractions(file: URL | string = DEFAULT_FILE): number[] {
  const table = parseCsvTable(readFileSync(file, 'utf8'));
  const problem = table.problems[0];
  if (problem) throw new Error(`${String(file)} line ${problem.line}: ${problem.reason}`);
  return table.records.map(({ line, cells }) => {
    const parsed = zRow.safeParse(cells);
    if (!parsed.success) throw new Error(`${String(file)} line ${line}: ${describeZodError(parsed.error)}`);
    return parsed.data.available_fraction;
  });
}

// Pools read the sequence from starts this many hours apart, so they are not interrupted in lock-step.
const POOL_OFFSET_HOURS = 53;

/** Spot instances pool number `poolIndex` can hold in each of `hours` hours: fraction × capacity, tiled. */
export function spotCapacitySeries(
  fractions: readonly number[],
  poolIndex: number,
  hours: number,
  capacityInstances: number,
): number[] {
  if (fractions.length === 0) return new Array<number>(hours).fill(capacityInstances);
  const offset = (poolIndex * POOL_OFFSET_HOURS) % fractions.length;
  return Array.from({ length: hours }, (_, h) =>
    Math.floor(fractions[(offset + h) % fractions.length]! * capacityInstances),
  );
}
