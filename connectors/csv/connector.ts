// The HR-export connector: a read-only source that yields the whole file or nothing at all.
import { readFile } from 'node:fs/promises';
import type { DirectoryPage, DirectorySnapshot } from '../../engine/model';
import { VendorError } from '../errors';
import type { ApplyResult, Connector, ConnectorCapabilities, ConnectorOperation, ReadByIdsResult } from '../types';
import { buildDirectory } from './build-directory';
import { CsvFileError, fileProblem, type CsvProblem } from './errors';
import { importDirFromEnv, resolveImportFile } from './import-dir';
import { decodeUtf8, parseCsv } from './parse-csv';
import { resolveColumns, validateRows } from './read-rows';
import { parseCsvSettings, type CsvSettings, type CsvSettingsInput } from './settings';

export const csvCapabilities: ConnectorCapabilities = Object.freeze({
  read: true,
  write: false,
  disableUser: false,
  deleteUser: false,
  deleteDepartment: false,
  manager: false,
  departmentLeader: false,
  realtimeEvents: false,
});

/** Parses and validates a whole HR export; throws CsvFileError listing every bad row. */
export function readCsvDirectory(text: string, settings: CsvSettings): DirectorySnapshot {
  const records = parseCsv(text, settings.delimiter);
  if (records.length === 0) throw fileProblem('the file is empty: a header row is required', 1);
  const [header, ...data] = records;

  const columns = resolveColumns(header, settings);
  if (columns.problems.length > 0) throw new CsvFileError(columns.problems);

  const validated = validateRows(data, columns.layout, header.fields.length, settings);
  const built = buildDirectory(validated.rows, columns.layout, settings, validated.rejected);
  const problems = [...validated.problems, ...built.problems];
  if (problems.length > 0) throw new CsvFileError(sortByLine(problems));
  return built.snapshot;
}

function sortByLine(problems: CsvProblem[]): CsvProblem[] {
  return problems.map((p, i) => ({ p, i })).sort((a, b) => (a.p.line ?? 0) - (b.p.line ?? 0) || a.i - b.i).map(({ p }) => p);
}

async function loadText(settings: CsvSettings, importDir: string): Promise<string> {
  if (settings.content !== undefined) return settings.content;
  const file = await resolveImportFile(settings.path!, importDir);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'read_failed';
    throw new VendorError('permanent', code, `cannot read CSV file ${settings.path} (${code})`);
  }
  return decodeUtf8(bytes);
}

export interface CsvConnectorOptions {
  /** where `settings.path` must lie; default SYNC_CENTER_IMPORT_DIR */
  importDir?: string;
}

/**
 * One instance reads its file once (on first use) and answers every read from that parse, so a run
 * sees one consistent export; create a new connector for the next run.
 */
export function createCsvConnector(settingsInput: CsvSettingsInput, options: CsvConnectorOptions = {}): Connector {
  const settings = parseCsvSettings(settingsInput);
  const importDir = options.importDir ?? importDirFromEnv();
  let parsed: Promise<DirectorySnapshot> | undefined;
  const directory = () => (parsed ??= loadText(settings, importDir).then((text) => readCsvDirectory(text, settings)));

  return {
    kind: 'csv',
    capabilities: csvCapabilities,

    async *readSnapshot(): AsyncIterable<DirectoryPage> {
      const { departments, users } = await directory();
      // Departments first (already top-down), so a consumer never sees a user before its department.
      for (let i = 0; i < departments.length; i += settings.pageSize) {
        yield { departments: departments.slice(i, i + settings.pageSize), users: [] };
      }
      for (let i = 0; i < users.length; i += settings.pageSize) {
        yield { departments: [], users: users.slice(i, i + settings.pageSize) };
      }
    },

    async readByIds(ids: { departmentIds: string[]; userIds: string[] }): Promise<ReadByIdsResult> {
      const { departments, users } = await directory();
      const departmentById = new Map(departments.map((d) => [d.id, d]));
      const userById = new Map(users.map((u) => [u.id, u]));
      return {
        departments: ids.departmentIds.flatMap((id) => departmentById.get(id) ?? []),
        users: ids.userIds.flatMap((id) => userById.get(id) ?? []),
        missing: {
          departmentIds: ids.departmentIds.filter((id) => !departmentById.has(id)),
          userIds: ids.userIds.filter((id) => !userById.has(id)),
        },
      };
    },

    async apply(op: ConnectorOperation): Promise<ApplyResult> {
      throw new VendorError('permanent', 'read_only', `an HR export is read-only; cannot ${op.action}`);
    },
  };
}
