// Reads attribution rows back from the CSV `gpu-optimizer attribution export` writes (FOCUS order, 6-place money).
import { z } from 'zod';
import { zAttributionRow, type AttributionRow } from '../../domain/attribution.ts';
import { describeZodError } from '../../domain/validation.ts';
import { csvRecords, type Chunks } from './reader.ts';

export class AttributionCsvError extends Error {
  constructor(line: number, reason: string) {
    super(`attribution CSV line ${line}: ${reason}`);
    this.name = 'AttributionCsvError';
  }
}

export async function readAttributionCsv(chunks: Chunks): Promise<AttributionRow[]> {
  const rows: AttributionRow[] = [];
  const bad = (line: number, reason: string) => {
    throw new AttributionCsvError(line, reason);
  };
  for await (const { line, fields } of csvRecords(chunks, bad, (l) =>
    bad(l, 'has fewer fields than the header'),
  )) {
    let tags: unknown = {};
    try {
      tags = JSON.parse(String(fields.Tags ?? '{}'));
    } catch {
      bad(line, 'Tags is not a JSON object');
    }
    const wire = { ...fields, Tags: tags, x_GpuSeconds: Number(fields.x_GpuSeconds) };
    const parsed = z.safeDecode(zAttributionRow, wire as never);
    if (!parsed.success) bad(line, describeZodError(parsed.error));
    else rows.push(parsed.data);
  }
  return rows;
}
