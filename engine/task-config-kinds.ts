// What task validation knows about each connector kind, as data: capabilities it can rely on without
// constructing the connector, which settings identify the app, and the pre-filled field mapping.
import type { CanonicalUserField } from './field-mapping';

export interface ConnectorKindInfo {
  /** can be a downstream target (the connector's capabilities.write) */
  write: boolean;
  /** pushes change events, so an upstream task can run in real time */
  realtimeEvents: boolean;
  /** settings that together identify one app (one tenant); compared to refuse up+down of the same app */
  identifyingSettings: string[];
  /**
   * Where the connector sends its credentials: every endpoint and tenant id (engine/task-repointing.ts).
   * Changing one re-points the task, so the secrets must be given again and links cannot carry over.
   */
  tenantSettings: string[];
  /** secrets the connector cannot work without: a re-pointed task must be given each (engine/task-repointing.ts) */
  requiredSecrets: string[];
  /** pre-filled mapping rows: canonical target ← canonical source, and the vendor field it lands in */
  defaultMapping: { target: CanonicalUserField; source: CanonicalUserField; vendorField: string }[];
}

const basicMapping = (vendor: Partial<Record<CanonicalUserField, string>>): ConnectorKindInfo['defaultMapping'] =>
  (Object.entries(vendor) as [CanonicalUserField, string][]).map(([field, vendorField]) => ({ target: field, source: field, vendorField }));

export const connectorKinds: Record<string, ConnectorKindInfo> = {
  csv: {
    write: false,
    realtimeEvents: false,
    identifyingSettings: ['path'],
    // A file has no tenant and sends no credentials; a new export path is routine.
    tenantSettings: [],
    requiredSecrets: [],
    defaultMapping: basicMapping({ username: 'username', name: 'name', email: 'email', mobile: 'mobile', employeeNumber: 'employee_number', title: 'title' }),
  },
  wecom: {
    write: true,
    realtimeEvents: true,
    identifyingSettings: ['corpId'],
    tenantSettings: ['baseUrl', 'corpId'],
    requiredSecrets: ['corpSecret'],
    // WeCom has no employee-number field: the connector keeps it in an extattr.
    defaultMapping: basicMapping({ username: 'userid', name: 'name', email: 'email', mobile: 'mobile', title: 'position', employeeNumber: 'extattr.employeeNumber' }),
  },
  feishu: {
    write: true,
    realtimeEvents: true,
    identifyingSettings: ['appId'],
    tenantSettings: ['baseUrl', 'appId'],
    requiredSecrets: ['appSecret'],
    defaultMapping: basicMapping({ username: 'user_id', name: 'name', email: 'email', mobile: 'mobile', title: 'job_title', employeeNumber: 'employee_no' }),
  },
  dingtalk: {
    write: true,
    realtimeEvents: true,
    identifyingSettings: ['appKey'],
    tenantSettings: ['oapiBaseUrl', 'apiBaseUrl', 'appKey', 'corpId'],
    requiredSecrets: ['appSecret'],
    defaultMapping: basicMapping({ username: 'userid', name: 'name', email: 'email', mobile: 'mobile', title: 'title', employeeNumber: 'job_number' }),
  },
  scim: {
    write: true,
    realtimeEvents: false,
    identifyingSettings: ['baseUrl'],
    tenantSettings: ['baseUrl'],
    requiredSecrets: ['bearerToken'],
    defaultMapping: basicMapping({ username: 'userName', name: 'name.formatted', email: 'emails[primary]', mobile: 'phoneNumbers[mobile]', title: 'title', employeeNumber: 'enterprise.employeeNumber' }),
  },
  ldap: {
    write: true,
    realtimeEvents: false,
    identifyingSettings: ['url', 'baseDn'],
    tenantSettings: ['url', 'baseDn', 'bindDn'],
    requiredSecrets: ['bindPassword'],
    defaultMapping: basicMapping({ username: 'uid', name: 'cn', email: 'mail', mobile: 'mobile', title: 'title', employeeNumber: 'employeeNumber' }),
  },
};

/** Settings used when a kind is not in the table, or the table's settings are absent. */
export const fallbackIdentifyingSettings = ['baseUrl', 'path'];

/** The mapping a new task of this kind starts with (entries as the task body spells them). */
export function defaultFieldMapping(kind: string): { target: string; source: string }[] {
  return (connectorKinds[kind]?.defaultMapping ?? []).map(({ target, source }) => ({ target, source }));
}
