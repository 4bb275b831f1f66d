// Streams records out of a bill export: RFC 4180 CSV (quotes, CRLF, BOM, blank lines) or JSON lines, chunk by chunk.
import type { Chunks } from '../../format/csv.ts';

/** A record as read: the 1-based line it starts on, and its fields by column name. */
export interface SourceRecord {
  line: number;
  fields: Record<string, unknown>;
}

export class BillFormatError extends Error {
  constructor(
    readonly line: number,
    reason: string,
  ) {
    super(`line ${line}: ${reason}`);
    this.name = 'BillFormatError';
  }
}

/** Decodes bytes as UTF-8 across chunk boundaries and drops a leading byte-order mark (Azure exports carry one). */
async function* textOf(chunks: Chunks): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8');
  let first = true;
  for await (const chunk of chunks) {
    let text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    if (first && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
    }
    if (text) yield text;
  }
  const rest = decoder.decode();
  if (rest) yield rest;
}

/** CSV rows and records come from the project's one CSV reader (RFC 4180, bounded, strict UTF-8). */
export { csvRecords, csvRows, type Chunks } from '../../format/csv.ts';

/** Newline-delimited JSON (what a BigQuery export to JSON writes): one object per non-blank line. */
export async function* jsonLineRecords(
  chunks: Chunks,
  onBadRow: (line: number, reason: string) => void,
): AsyncGenerator<SourceRecord> {
  let buffer = '';
  let line = 0;
  const parse = (text: string, at: number): SourceRecord | undefined => {
    if (text.trim() === '') return undefined;
    try {
      const value: unknown = JSON.parse(text);
      if (typeof value === 'object' && value !== null && !Array.isArray(value))
        return { line: at, fields: value as Record<string, unknown> };
      onBadRow(at, 'is not a JSON object');
    } catch (error) {
      onBadRow(at, `is not valid JSON: ${(error as Error).message}`);
    }
    return undefined;
  };
  for await (const text of textOf(chunks)) {
    buffer += text;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const record = parse(buffer.slice(0, nl), ++line);
      buffer = buffer.slice(nl + 1);
      if (record) yield record;
    }
  }
  const last = parse(buffer, ++line);
  if (last) yield last;
}

/** The first line of a stream, to tell formats apart, and the chunks again (nothing is read twice from the source). */
export async function peekFirstLine(chunks: Chunks): Promise<{ firstLine: string; chunks: Chunks }> {
  const seen: (string | Uint8Array)[] = [];
  const iterator = (Symbol.asyncIterator in chunks ? chunks[Symbol.asyncIterator]() : toAsync(chunks)) as
    AsyncIterator<string | Uint8Array> | Iterator<string | Uint8Array>;
  let text = '';
  const decoder = new TextDecoder('utf-8');
  while (!/[\r\n]/.test(text)) {
    const next = await iterator.next();
    if (next.done) break;
    seen.push(next.value);
    text += typeof next.value === 'string' ? next.value : decoder.decode(next.value, { stream: true });
  }
  const firstLine = text.replace(/^\uFEFF/, '').split(/\r?\n|\r/)[0] ?? '';
  async function* replay() {
    yield* seen;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  return { firstLine, chunks: replay() };
}

function toAsync<T>(items: Iterable<T>): AsyncIterator<T> {
  const it = items[Symbol.iterator]();
  return { next: async () => it.next() };
}

/** Splits a string into chunks of `size` characters: how tests prove that chunk boundaries never change a result. */
export function* chunked(text: string, size: number): Generator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}
