// The record reader at its edges: what csv-parse is configured to do (and not do) for an HR export.
import { CsvFileError } from './errors';
import { parseCsv } from './parse-csv';

function problemOf(text: string, delimiter?: string) {
  try {
    parseCsv(text, delimiter);
  } catch (error) {
    if (error instanceof CsvFileError) return { problem: error.problems[0], message: error.message };
    throw error;
  }
  throw new Error('the parse succeeded but should have failed');
}

describe('parseCsv: records and the lines they start on', () => {
  it.each([
    ['LF', 'a,b\nc,d\n'],
    ['CRLF', 'a,b\r\nc,d\r\n'],
    ['a lone CR', 'a,b\rc,d\r'],
    ['mixed endings', 'a,b\r\nc,d\n'],
    ['no trailing line break', 'a,b\nc,d'],
  ])('reads %s the same way', (_label, text) => {
    expect(parseCsv(text)).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['c', 'd'] },
    ]);
  });

  it('skips empty and blank lines but counts them', () => {
    expect(parseCsv('\na,b\n\n   \r\nc,d\n\n\n')).toEqual([
      { line: 2, fields: ['a', 'b'] },
      { line: 5, fields: ['c', 'd'] },
    ]);
  });

  it('keeps a row of empty cells (it is a row whose cells are missing)', () => {
    expect(parseCsv('a,b\n,\n')).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['', ''] },
    ]);
  });

  it('counts a quoted CRLF, LF or CR as one line each', () => {
    const text = 'h1,h2\r\n"one\r\ntwo",x\r\n"three\nfour\rfive",y\r\nlast,z\r\n';
    expect(parseCsv(text)).toEqual([
      { line: 1, fields: ['h1', 'h2'] },
      { line: 2, fields: ['one\r\ntwo', 'x'] },
      { line: 4, fields: ['three\nfour\rfive', 'y'] },
      { line: 7, fields: ['last', 'z'] },
    ]);
  });

  it('reads doubled quotes, quoted delimiters and quoted empty cells', () => {
    expect(parseCsv('"say ""hi""","a,b",""\n')).toEqual([{ line: 1, fields: ['say "hi"', 'a,b', ''] }]);
  });

  it('strips a BOM and keeps whitespace around cells (validation trims)', () => {
    expect(parseCsv('\uFEFFname , x\n')).toEqual([{ line: 1, fields: ['name ', ' x'] }]);
  });

  it('returns rows of any width: the column count is checked per row, so every bad row is listed', () => {
    expect(parseCsv('a,b\nc\nd,e,f\n').map((r) => r.fields.length)).toEqual([2, 1, 3]);
  });

  it.each([
    ['a semicolon', ';', 'a;"b;c"\nd;e\n'],
    ['a tab', '\t', 'a\t"b\tc"\nd\te\n'],
    ['a full-width semicolon', '；', 'a；"b；c"\nd；e\n'],
  ])('splits on %s when it is the configured delimiter', (_label, delimiter, text) => {
    expect(parseCsv(text, delimiter)).toEqual([
      { line: 1, fields: ['a', `b${delimiter}c`] },
      { line: 2, fields: ['d', 'e'] },
    ]);
    // A comma is then just text.
    expect(parseCsv('a,b\n', delimiter)).toEqual([{ line: 1, fields: ['a,b'] }]);
  });
});

describe('parseCsv: a structural error names its line, never the cell', () => {
  it('an unclosed quote names the line where its record starts', () => {
    const { problem, message } = problemOf('h1,h2\r\n"ok\r\nstill ok",x\r\n\r\ny,"SECRET never\r\nclosed\r\n');
    expect(problem).toEqual({ line: 5, column: null, header: null, reason: 'quoted field opened on line 5 is never closed' });
    expect(message).not.toContain('SECRET');
  });

  it('text after a closing quote names the line of the quote', () => {
    const { problem, message } = problemOf('h1,h2\n"multi\nline"SECRET,x\n');
    expect(problem).toEqual({ line: 2, column: null, header: null, reason: 'unexpected text after a closing quote on line 3' });
    expect(message).not.toContain('SECRET');
  });

  it('a quote inside an unquoted cell is refused, naming the line (it was kept as text before csv-parse)', () => {
    const { problem, message } = problemOf('h1,h2\nx,O"SECRET\n');
    expect(problem).toEqual({
      line: 2,
      column: null,
      header: null,
      reason: 'a quote inside an unquoted field on line 2; quote the whole field and double the quote inside ("a ""b"" c")',
    });
    expect(message).not.toContain('SECRET');
  });
});
