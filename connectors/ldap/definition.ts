// Everything the project knows about LDAP and Active Directory as a connector kind (docs/connectors.md).
// It sends nothing over HTTP (no allowedHosts) and pushes no events (no webhook); tests run a real
// slapd (test/support/slapd.ts) instead of a fake.
import { z } from 'zod';
import { sameFieldMapping } from '../../engine/connector-kind';
import { positiveInt, requiredText, secret } from '../shared/settings-schema';
import { defineConnector } from '../types';
import { testLdapConnection } from './connection-test';
import { parseDn } from './dn';
import { createLdapConnector, ldapCapabilities } from './index';
import { ldapProfiles } from './profile';

const dn = (description: string) =>
  requiredText(description).refine((value) => {
    try {
      return parseDn(value).length > 0;
    } catch {
      return false;
    }
  }, 'must be a DN, e.g. dc=example,dc=com');

export const LdapSettingsSchema = z.strictObject({
  url: z
    .string()
    .trim()
    .regex(/^ldaps?:\/\/[^\s@/]+\/?$/, 'must be ldap://host[:port] or ldaps://host[:port], without credentials')
    .describe('the server, e.g. ldaps://dc1.example.com:636 or ldap://ldap.example.com:389'),
  startTls: z.boolean().describe('upgrade an ldap:// connection with StartTLS before binding').optional(),
  caCertificate: z.string().trim().regex(/-----BEGIN CERTIFICATE-----/, 'must be a PEM certificate').describe('PEM of the CA that signed the server certificate (ldaps:// or StartTLS); default the system CAs').optional(),
  profile: z.enum(ldapProfiles).describe('openldap (inetOrgPerson, entryUUID, ppolicy lock) or active-directory (user, objectGUID, userAccountControl)').default('openldap'),
  bindDn: dn('the DN the sync binds as'),
  baseDn: dn('the directory base, e.g. dc=example,dc=com'),
  departmentsDn: dn('the root of the department tree: its OUs are the top-level departments; default baseDn').optional(),
  usersDn: dn('where users are read (and created when in no department); default departmentsDn').optional(),
  userFilter: requiredText('which entries are users; default (objectClass=inetOrgPerson), AD (&(objectClass=user)(!(objectClass=computer)))').regex(/^\(.*\)$/, 'must be an LDAP filter in parentheses').optional(),
  idAttribute: requiredText('the stable id attribute; default entryUUID (OpenLDAP) or objectGUID (AD)').regex(/^[A-Za-z][A-Za-z0-9-]*$/, 'must be an attribute name').optional(),
  userRdnAttribute: z.enum(['cn', 'uid']).describe('what names a user entry: cn (the name; AD) or uid (OpenLDAP only); default cn').optional(),
  upnSuffix: requiredText('AD: the userPrincipalName suffix; default the baseDn\'s dc parts (dc=acme,dc=test → acme.test)').optional(),
  pageSize: positiveInt('paged-results page size; default 500 (AD allows 1,000)').max(10_000).optional(),
  timeoutMs: positiveInt('per-operation timeout').optional(),
});

export const LdapSecretsSchema = z.strictObject({ bindPassword: secret('the bind DN\'s password') });

export const ldapDefinition = defineConnector({
  kind: 'ldap',
  directions: ['upstream', 'downstream'],
  capabilities: ldapCapabilities,
  rootId: null,
  settings: LdapSettingsSchema,
  secrets: LdapSecretsSchema,
  identifyingSettings: ['url', 'baseDn'],
  // The bind password goes to the url; the base DN names the directory it writes.
  tenantSettings: ['url', 'baseDn', 'bindDn'],
  defaultMapping: sameFieldMapping({ username: 'uid', name: 'displayName', email: 'mail', mobile: 'mobile', title: 'title', employeeNumber: 'employeeNumber' }),
  create: (settings, secrets) => createLdapConnector(settings, secrets),
  testConnection: testLdapConnection,
});
