// The HR export (CSV file) as a connector kind: a read-only upstream source (docs/connectors.md).
import { z } from 'zod';
import { sameFieldMapping } from '../../engine/connector-kind';
import { refusalDetail } from '../shared/connection-checks';
import { defineConnector } from '../types';
import { importPathRefusal } from './import-dir';
import { createCsvConnector, csvCapabilities } from './index';
import { CsvSettingsSchema } from './settings';

export const csvDefinition = defineConnector({
  kind: 'csv',
  directions: ['upstream'],
  capabilities: csvCapabilities,
  rootId: null,
  settings: CsvSettingsSchema,
  secrets: z.strictObject({}),
  identifyingSettings: ['path'],
  // A file has no tenant and sends no credentials; a new export path is routine.
  tenantSettings: [],
  defaultMapping: sameFieldMapping({ username: 'username', name: 'name', email: 'email', mobile: 'mobile', employeeNumber: 'employee_number', title: 'title' }),
  // The file must lie in the import directory (it may not exist yet when the task is saved).
  settingsIssues(settings) {
    const refused = settings.path === undefined ? undefined : importPathRefusal(settings.path);
    return refused ? [{ field: 'connector.settings.path', message: refused }] : [];
  },
  create: (settings) => createCsvConnector(settings),
  example: { settings: { content: 'username,name,email,employee_number\namy,Amy,amy@example.com,E1\n' }, secrets: {} },
  // Reading the file is the whole test: it is there, UTF-8, and every row is valid.
  async testConnection(settings) {
    try {
      let users = 0;
      for await (const page of createCsvConnector(settings).readSnapshot()) users += page.users.length;
      return [{ name: 'source_file', ok: true, detail: `read ${users} users` }];
    } catch (error) {
      return [{ name: 'source_file', ok: false, detail: (error instanceof Error && error.name !== 'VendorError' ? error.message : refusalDetail(error)).slice(0, 500) }];
    }
  },
});
