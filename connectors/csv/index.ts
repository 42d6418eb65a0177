export { createCsvConnector, csvCapabilities, readCsvDirectory } from './connector';
export { CsvFileError, describeProblem, type CsvProblem } from './errors';
export { csvDepartmentId, csvUserId } from './build-directory';
export {
  CsvSettingsSchema,
  canonicalColumns,
  defaultColumnHeaders,
  defaultStatusValues,
  parseCsvSettings,
  type CsvSettings,
  type CsvSettingsInput,
} from './settings';
