// Reads an HR export into records with csv-parse (RFC 4180: quoted fields with delimiters, doubled
// quotes and line breaks inside; CRLF, LF or CR), keeping the physical line each record starts on.
import { isUtf8 } from 'node:buffer';
import { CsvError, parse } from 'csv-parse/sync';
import { fileProblem, type CsvFileError } from './errors';

export interface CsvRecord {
  /** physical line (1-based) where the record starts; a quoted line break makes a record span lines */
  line: number;
  fields: string[];
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Strict UTF-8 with the BOM stripped; an invalid byte names its line so the exporter can be fixed. */
export function decodeUtf8(bytes: Uint8Array): string {
  if (isUtf8(bytes)) return utf8.decode(bytes);
  throw fileProblem(`not valid UTF-8 (first invalid byte on line ${firstInvalidUtf8Line(bytes)}); export the file as UTF-8`);
}

function firstInvalidUtf8Line(bytes: Uint8Array): number {
  // 0x0A never occurs inside a multi-byte sequence, so lines can be checked one by one.
  let line = 1;
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0x0a) {
      if (!isUtf8(bytes.subarray(start, i))) return line;
      line++;
      start = i + 1;
    }
  }
  return line - 1;
}

/** CRLF, LF and a lone CR each end one line, in a record's raw text as between records. */
function lineBreaks(text: string): number {
  return text.match(/\r\n|\r|\n/g)?.length ?? 0;
}

/**
 * Parses the whole text; blank lines are skipped (but counted). Rows are returned whatever their
 * width, so the caller can list every row whose column count is wrong. Throws CsvFileError on a
 * structural error, naming the line and never the cell.
 */
export function parseCsv(text: string, delimiter = ','): CsvRecord[] {
  const records: CsvRecord[] = [];
  // csv-parse's own `info.lines` counts a quoted CRLF twice, so lines are counted from each
  // record's raw text (which ends with the first character of its record delimiter).
  let nextLine = 1;
  try {
    parse(text, {
      bom: true,
      delimiter,
      record_delimiter: ['\r\n', '\n', '\r'],
      relax_column_count: true,
      raw: true,
      on_record: (output) => {
        // With `raw`, csv-parse hands on_record the record and its raw text (its types do not say so).
        const { record: fields, raw } = output as unknown as { record: string[]; raw: string };
        const line = nextLine;
        nextLine += lineBreaks(raw);
        if (!(fields.length === 1 && fields[0].trim() === '')) records.push({ line, fields });
        return null; // collected above
      },
    });
  } catch (error) {
    throw error instanceof CsvError ? structuralProblem(error, nextLine) : error;
  }
  return records;
}

/** csv-parse's messages quote the cell, and its line numbers drift on CRLF: told here in our words. */
function structuralProblem(error: CsvError, recordLine: number): CsvFileError {
  const at = recordLine + lineBreaks(typeof error.raw === 'string' ? error.raw : '');
  switch (error.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return fileProblem(`quoted field opened on line ${recordLine} is never closed`, recordLine);
    case 'CSV_INVALID_CLOSING_QUOTE':
      return fileProblem(`unexpected text after a closing quote on line ${at}`, recordLine);
    case 'INVALID_OPENING_QUOTE':
      return fileProblem(`a quote inside an unquoted field on line ${at}; quote the whole field and double the quote inside ("a ""b"" c")`, recordLine);
    default:
      return fileProblem(`cannot be read as CSV from line ${recordLine} (${error.code})`, recordLine);
  }
}
