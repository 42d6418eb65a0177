// RFC 4180 reader: quoted fields (delimiters, doubled quotes and line breaks inside), CRLF or LF.
import { isUtf8 } from 'node:buffer';
import { fileProblem } from './errors';

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

export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

/** Parses the whole text; blank lines are skipped. Throws CsvFileError on a structural error. */
export function parseCsv(text: string, delimiter = ','): CsvRecord[] {
  const delim = delimiter.charCodeAt(0);
  const records: CsvRecord[] = [];
  const n = text.length;
  let i = 0;
  let line = 1;

  while (i < n) {
    const recordLine = line;
    const fields: string[] = [];
    let endOfRecord = false;
    while (!endOfRecord) {
      let value: string;
      if (i < n && text.charCodeAt(i) === QUOTE) {
        // Quoted field: runs to the next lone quote; "" is a literal quote.
        const parts: string[] = [];
        let from = i + 1;
        for (;;) {
          const q = text.indexOf('"', from);
          if (q < 0) throw fileProblem(`quoted field opened on line ${recordLine} is never closed`, recordLine);
          line += countLineBreaks(text, from, q);
          parts.push(text.slice(from, q));
          if (text.charCodeAt(q + 1) === QUOTE) {
            parts.push('"');
            from = q + 2;
            continue;
          }
          i = q + 1;
          break;
        }
        value = parts.length === 1 ? parts[0] : parts.join('');
        const c = i < n ? text.charCodeAt(i) : -1;
        if (c !== -1 && c !== delim && c !== LF && c !== CR) {
          throw fileProblem(`unexpected text after a closing quote on line ${line}`, recordLine);
        }
      } else {
        // Unquoted field: a stray quote inside is kept literally, as spreadsheets do.
        const start = i;
        while (i < n) {
          const c = text.charCodeAt(i);
          if (c === delim || c === LF || c === CR) break;
          i++;
        }
        value = text.slice(start, i);
      }
      fields.push(value);

      if (i >= n) {
        endOfRecord = true;
      } else {
        const c = text.charCodeAt(i);
        if (c === delim) {
          i++;
        } else {
          // CRLF, LF or a lone CR ends the record.
          i += c === CR && text.charCodeAt(i + 1) === LF ? 2 : 1;
          line++;
          endOfRecord = true;
        }
      }
    }
    if (!(fields.length === 1 && fields[0].trim() === '')) records.push({ line: recordLine, fields });
  }
  return records;
}

function countLineBreaks(text: string, from: number, to: number): number {
  let count = 0;
  for (let k = from; k < to; k++) {
    const c = text.charCodeAt(k);
    if (c === LF) count++;
    else if (c === CR && text.charCodeAt(k + 1) !== LF) count++;
  }
  return count;
}
