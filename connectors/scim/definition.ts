// Everything the project knows about SCIM 2.0 apps as a connector kind (docs/connectors.md): one
// client for GitHub EMU, Atlassian, Zoom, Aliyun CloudSSO and any RFC 7644 server, told apart by profile.
import { z } from 'zod';
import { sameFieldMapping } from '../../engine/connector-kind';
import { httpUrl, positiveInt, requiredText, secret } from '../shared/settings-schema';
import { defineConnector } from '../types';
import { testScimConnection } from './connection-test';
import { scimDocumentedHosts } from './hosts';
import { createScimConnector, scimCapabilities } from './index';
import { scimProfileNames, scimProfiles } from './profiles';

const profileList = scimProfileNames.map((name) => `${name}: ${scimProfiles[name].baseUrlShape}`).join('; ');

export const ScimSettingsSchema = z.strictObject({
  profile: z.enum(scimProfileNames).describe('the app: generic, github-emu, atlassian, zoom or aliyun-cloudsso'),
  baseUrl: httpUrl(`the SCIM base URL (${profileList})`),
  accountId: requiredText('zoom: the account id of the server-to-server OAuth app').optional(),
  tokenUrl: httpUrl('zoom: the OAuth token endpoint; default https://zoom.us/oauth/token').optional(),
  pageSize: z.number().int().min(1).max(1000).describe('list page size; capped by the profile (100)').optional(),
  rateLimit: z
    .strictObject({ limit: positiveInt('calls per window'), windowMs: positiveInt('the window in ms') })
    .describe("overrides the profile's tolerated rate (GitHub 1,000 writes/hour, Zoom 1/s)")
    .optional(),
  patch: z.boolean().describe('false: send PUT of the whole resource instead of PATCH').optional(),
  timeoutMs: positiveInt('per-call timeout').optional(),
});

export const ScimSecretsSchema = z.strictObject({
  token: secret('the bearer token (GitHub PAT with scim:enterprise, Atlassian directory API key, Aliyun SCIM credential)').optional(),
  clientId: secret('zoom: the OAuth client id').optional(),
  clientSecret: secret('zoom: the OAuth client secret').optional(),
});

export const scimDefinition = defineConnector({
  kind: 'scim',
  directions: ['downstream'],
  capabilities: scimCapabilities,
  rootId: null,
  settings: ScimSettingsSchema,
  secrets: ScimSecretsSchema,
  identifyingSettings: ['baseUrl'],
  tenantSettings: ['baseUrl', 'tokenUrl', 'accountId'],
  allowedHosts: scimDocumentedHosts,
  defaultMapping: sameFieldMapping({
    username: 'userName',
    name: 'displayName',
    email: 'emails[primary]',
    mobile: 'phoneNumbers[mobile]',
    title: 'title',
    employeeNumber: 'enterprise:employeeNumber',
  }),
  // No createdUserId: SCIM ids are the server's; a lost create is found by the connector's findCreatedUser.
  create: (settings, secrets, deps) => createScimConnector(settings, secrets, deps.rateLimiters),
  testConnection: testScimConnection,
  fake: {
    description: 'a SCIM 2.0 app with one profile\'s quirks (generic, github-emu, atlassian, zoom, aliyun-cloudsso)',
    credentialFlags: [
      { flag: 'profile', option: 'profile', description: 'the app the fake behaves like (default generic)' },
      { flag: 'token', option: 'token', description: 'bearer token the fake accepts (default fake-scim-token)' },
    ],
    async start({ port, host, profile, token }) {
      const { startScimFake } = await import('./fake');
      const name = (profile as string | undefined) ?? 'generic';
      if (!(scimProfileNames as readonly string[]).includes(name)) throw new Error(`fake scim: --profile must be one of ${scimProfileNames.join(', ')}`);
      return startScimFake({ port, host, profile: name as (typeof scimProfileNames)[number], token: token as string | undefined });
    },
    taskConnector: (fake) => ({ settings: { profile: 'generic', baseUrl: fake.baseUrl }, secrets: { token: 'fake-scim-token' } }),
  },
});
