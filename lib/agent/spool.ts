// A local append-only spool of PutEvents entries: written before sending, drained in order, compacted after.
import { appendFile, mkdir, open, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PutEntry } from './entries.ts';

/** One spooled entry. `seq` orders the spool and names the entry in the ack log. */
export interface SpoolRecord {
  seq: number;
  entry: PutEntry;
}

const ENTRIES = 'spool.jsonl';
const ACKS = 'acked.jsonl';
const REJECTED = 'rejected.jsonl';

async function readLines(path: string): Promise<string[]> {
  const text = await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return '';
    throw e;
  });
  return text.split('\n').filter((l) => l.trim() !== '');
}

async function appendDurably(path: string, text: string): Promise<void> {
  const handle = await open(path, 'a');
  try {
    await handle.appendFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Files in `dir`: spool.jsonl holds every entry not yet compacted away, acked.jsonl the seqs EventBridge
 * accepted, rejected.jsonl the entries it refused for good. Both logs only grow between compactions, so a
 * crash at any point loses no entry and resends none that was acknowledged.
 */
export class FileSpool {
  private records: SpoolRecord[] = [];
  private acked = new Set<number>();
  private nextSeq = 0;
  /** Lines that could not be read back (a write torn by a crash); they are counted, not fatal. */
  tornLines = 0;

  private constructor(readonly dir: string) {}

  static async open(dir: string): Promise<FileSpool> {
    await mkdir(dir, { recursive: true });
    const spool = new FileSpool(dir);
    await spool.load();
    return spool;
  }

  private async load(): Promise<void> {
    let maxSeq = -1;
    for (const line of await readLines(join(this.dir, ACKS))) {
      const seq = Number(line);
      if (Number.isInteger(seq)) {
        this.acked.add(seq);
        maxSeq = Math.max(maxSeq, seq);
      } else this.tornLines++;
    }
    for (const line of await readLines(join(this.dir, ENTRIES))) {
      try {
        const record = JSON.parse(line) as SpoolRecord;
        if (!Number.isInteger(record.seq) || typeof record.entry?.Detail !== 'string')
          throw new Error('shape');
        this.records.push(record);
        maxSeq = Math.max(maxSeq, record.seq);
      } catch {
        this.tornLines++;
      }
    }
    this.nextSeq = maxSeq + 1;
  }

  /** Appends entries and syncs them to disk before returning. */
  async append(entries: readonly PutEntry[]): Promise<SpoolRecord[]> {
    const added = entries.map((entry) => ({ seq: this.nextSeq++, entry }));
    if (added.length === 0) return added;
    await appendDurably(join(this.dir, ENTRIES), added.map((r) => `${JSON.stringify(r)}\n`).join(''));
    this.records.push(...added);
    return added;
  }

  /** Entries not yet acknowledged, oldest first. */
  pending(): SpoolRecord[] {
    return this.records.filter((r) => !this.acked.has(r.seq));
  }

  async ack(seqs: readonly number[]): Promise<void> {
    if (seqs.length === 0) return;
    await appendDurably(join(this.dir, ACKS), seqs.map((s) => `${s}\n`).join(''));
    for (const s of seqs) this.acked.add(s);
  }

  /** Sets aside entries EventBridge refuses for good, with the reason, and stops sending them. */
  async reject(items: readonly { record: SpoolRecord; error: string }[]): Promise<void> {
    if (items.length === 0) return;
    await appendFile(
      join(this.dir, REJECTED),
      items.map(({ record, error }) => `${JSON.stringify({ ...record, error })}\n`).join(''),
    );
    await this.ack(items.map((i) => i.record.seq));
  }

  /**
   * Rewrites the spool with only the pending entries, then clears the ack log. The rename makes the
   * rewrite atomic; a crash before the acks are cleared leaves acks for seqs no longer spooled, harmless.
   */
  async compact(): Promise<void> {
    const keep = this.pending();
    const tmp = join(this.dir, `${ENTRIES}.tmp`);
    await writeFile(tmp, keep.map((r) => `${JSON.stringify(r)}\n`).join(''));
    const handle = await open(tmp, 'r+');
    await handle.sync();
    await handle.close();
    await rename(tmp, join(this.dir, ENTRIES));
    await writeFile(join(this.dir, ACKS), '');
    this.records = keep;
    this.acked = new Set();
  }

  /** How many acknowledged entries compaction would drop. */
  get ackedCount(): number {
    return this.acked.size;
  }
}
