// Shared by the API-backed commands (tasks, runs, approvals): positional ids, on/off switches,
// and output as an aligned table for people or JSON for scripts.
import { parseArguments, UsageError, type CommandLine, type FlagSpec } from '../args';

/** Value flags, switches (--json always) and positional ids, per parseArguments (errors name the flag). */
export function parseCommandLine<S extends FlagSpec>(command: string, argv: string[], spec: { flags: S; switches?: string[] }): CommandLine<S> {
  return parseArguments(command, argv, spec.flags, { switches: ['json', ...(spec.switches ?? [])], positionals: true });
}

/** Exactly one positional id, e.g. `tasks show <id>`. */
export function singleId(command: string, positionals: string[], what: string): string {
  if (positionals.length === 0) throw new UsageError(`${command}: expected the ${what}`);
  if (positionals.length > 1) throw new UsageError(`${command}: expected one ${what}, got ${positionals.length} (${positionals.join(' ')})`);
  return positionals[0];
}

/** A flag restricted to a few values: the error names the flag and lists them. */
export function oneOf<T extends string>(command: string, flag: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`${command}: --${flag} must be one of ${allowed.join(', ')} (got "${value}")`);
  return value as T;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

// East Asian wide characters (CJK, Hangul, full-width forms) take two terminal columns.
const wide = /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/g;

/** Terminal columns a text takes, so tables of Chinese names line up. */
export function displayWidth(text: string): number {
  return text.length + (text.match(wide)?.length ?? 0);
}

function pad(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - displayWidth(text)));
}

export function printTable(header: string[], rows: string[][], empty: string): void {
  if (rows.length === 0) {
    process.stdout.write(`${empty}\n`);
    return;
  }
  const widths = header.map((h, i) => Math.max(displayWidth(h), ...rows.map((r) => displayWidth(r[i]))));
  for (const row of [header, ...rows]) process.stdout.write(`${row.map((cell, i) => pad(cell, widths[i])).join('  ').trimEnd()}\n`);
}

/** `label  value` lines for one record. */
export function printFields(fields: [string, string][]): void {
  const width = Math.max(...fields.map(([label]) => label.length));
  for (const [label, value] of fields) process.stdout.write(`${label.padEnd(width)}  ${value}\n`);
}

/** A table cell: one line, at most `max` characters. */
export function cell(value: unknown, max = 60): string {
  if (value === null || value === undefined) return '';
  const text = (typeof value === 'string' ? value : JSON.stringify(value)).replace(/\s+/g, ' ');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A query string from the given values, leaving out the undefined ones. */
export function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

/** Every page of a paged list, 500 at a time (the API's maximum). */
export async function allPages<T>(fetchPage: (limit: number, offset: number) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  for (let offset = 0; ; ) {
    const page = await fetchPage(500, offset);
    items.push(...page.items);
    offset += page.items.length;
    if (page.items.length === 0 || offset >= page.total) return items;
  }
}
