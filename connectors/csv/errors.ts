// One error for a whole bad file: the read fails as a unit so the hub is never half-imported.
import { VendorError } from '../errors';

export interface CsvProblem {
  /** the physical line where the record starts, as a person counts lines (header = 1); null for the file itself */
  line: number | null;
  /** the canonical column (e.g. "email", "attributes.costCenter"), when the problem is in one cell */
  column: string | null;
  /** the header text of that column in this file, when it has one */
  header: string | null;
  reason: string;
}

/** How many problems the message lists; the rest are counted, and all stay in `problems`. */
export const listedProblemLimit = 20;

export function describeProblem(p: CsvProblem): string {
  const where = p.line === null ? 'file' : `line ${p.line}`;
  if (p.column === null) return `${where}: ${p.reason}`;
  const header = p.header !== null && p.header !== p.column ? ` (header "${p.header}")` : '';
  return `${where}, column ${p.column}${header}: ${p.reason}`;
}

/** Permanent: retrying cannot fix a bad file, a person has to. */
export class CsvFileError extends VendorError {
  constructor(readonly problems: CsvProblem[]) {
    const listed = problems.slice(0, listedProblemLimit).map((p) => `  - ${describeProblem(p)}`);
    const more = problems.length - listed.length;
    const badLines = new Set(problems.map((p) => p.line)).size;
    const summary = `CSV file rejected, nothing was imported: ${problems.length} problem(s) on ${badLines} line(s)`;
    const text = [summary, ...listed, ...(more > 0 ? [`  … and ${more} more`] : [])].join('\n');
    super('permanent', 'invalid_csv', text, undefined, text);
  }
}

export function fileProblem(reason: string, line: number | null = null): CsvFileError {
  return new CsvFileError([{ line, column: null, header: null, reason }]);
}
