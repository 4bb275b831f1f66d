import { describe, expect, it } from 'vitest';
import { CsvError, csvCell, csvRecords, csvRows, parseCsv, writeCsv } from '../../lib/format/csv.ts';
import { escapeHtml } from '../../lib/format/html.ts';

async function rowsOf(chunks: (string | Uint8Array)[]) {
  const rows = [];
  for await (const row of csvRows(chunks)) rows.push(row);
  return rows;
}

function chunksOf(text: string, size: number): string[] {
  const out = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

describe('CSV reader', () => {
  const text = '\uFEFFa,b,c\r\n1,"x, ""y""",\r\n\r\n2,"two\r\nlines",z\r3,,"q"\n';

  it('reads RFC 4180: quotes, doubled quotes, CRLF, lone CR, blank lines, a BOM, line breaks in a cell', () => {
    expect(parseCsv(text)).toEqual([
      { line: 1, cells: ['a', 'b', 'c'] },
      { line: 2, cells: ['1', 'x, "y"', ''] },
      { line: 4, cells: ['2', 'two\r\nlines', 'z'] },
      { line: 6, cells: ['3', '', 'q'] },
    ]);
  });

  it('gives the same rows whatever the chunk boundaries', async () => {
    for (const size of [1, 2, 3, 7]) expect(await rowsOf(chunksOf(text, size))).toEqual(parseCsv(text));
    const bytes = new TextEncoder().encode('name\n"Zürich — 東京"\n');
    const pieces = [...bytes].map((b) => Uint8Array.of(b));
    expect((await rowsOf(pieces)).map((r) => r.cells[0])).toEqual(['name', 'Zürich — 東京']);
  });

  it('refuses a quote never closed, naming the line and column where it opened', () => {
    expect(() => parseCsv('a,b\n1,"open\n2,3\n')).toThrow(CsvError);
    try {
      parseCsv('a,b\n1,"open\n2,3\n');
    } catch (error) {
      expect(error).toMatchObject({ line: 2, column: 3 });
      expect((error as Error).message).toMatch(/line 2, column 3: a quoted cell is not closed/);
    }
  });

  it('refuses bytes that are not UTF-8 with their line and column, even split across chunks', async () => {
    const latin1 = Uint8Array.from([...'a,b\n1,Z'].map((c) => c.charCodeAt(0)).concat([0xfc, 0x72, 0x0a]));
    await expect(rowsOf([latin1])).rejects.toMatchObject({ line: 2, column: 4 });
    // A truncated three-byte sequence at the end of the input.
    await expect(rowsOf([Uint8Array.of(0x61, 0x0a, 0x62, 0xe6, 0x9d)])).rejects.toMatchObject({
      line: 2,
      column: 2,
    });
    // An overlong encoding of "/" and a surrogate half are refused too.
    await expect(rowsOf([Uint8Array.of(0xc0, 0xaf)])).rejects.toThrow(/not valid UTF-8/);
    await expect(rowsOf([Uint8Array.of(0xed, 0xa0, 0x80)])).rejects.toThrow(/not valid UTF-8/);
  });

  it('bounds a cell and a row', () => {
    expect(() => parseCsv(`a\n"${'x'.repeat(50)}"\n`, { maxCellChars: 10, maxCells: 10 })).toThrow(
      /line 2, column 1: a cell is longer than 10 characters/,
    );
    expect(() => parseCsv(`${'a,'.repeat(20)}a\n`, { maxCellChars: 10, maxCells: 10 })).toThrow(
      /more than 10 cells/,
    );
  });

  it('keys records by the header, reports long rows and counts short ones', async () => {
    const bad: number[] = [];
    const short: number[] = [];
    const records = [];
    for await (const r of csvRecords(
      ['x, y\n1,2\n3\n4,5,6\n'],
      (l) => bad.push(l),
      (l) => short.push(l),
    ))
      records.push(r);
    expect(records).toEqual([
      { line: 2, fields: { x: '1', y: '2' } },
      { line: 3, fields: { x: '3', y: undefined } },
    ]);
    expect(bad).toEqual([4]);
    expect(short).toEqual([3]);
  });
});

describe('CSV writer', () => {
  it('neutralises cells a spreadsheet would run as a formula (= + - @ tab CR)', () => {
    expect(csvCell('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect(csvCell('+cmd')).toBe("'+cmd");
    expect(csvCell('-2+3')).toBe("'-2+3");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('\tx')).toBe("'\tx");
    expect(csvCell('\rx')).toBe(`"'\rx"`);
  });

  it('leaves plain numbers and ordinary text alone', () => {
    expect(csvCell('-12.500000')).toBe('-12.500000');
    expect(csvCell(-3n)).toBe('-3');
    expect(csvCell('+1e-6')).toBe('+1e-6');
    expect(csvCell('team-a')).toBe('team-a');
    expect(csvCell(undefined)).toBe('');
  });

  it('writes what the reader reads back', () => {
    const rows = [{ a: 'x,y', b: 'say "hi"\nbye' }];
    const text = writeCsv(['a', 'b'], rows);
    expect(parseCsv(text).map((r) => r.cells)).toEqual([
      ['a', 'b'],
      ['x,y', 'say "hi"\nbye'],
    ]);
  });
});

describe('HTML escape', () => {
  it('escapes the characters that start markup or end an attribute', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
  });
});
