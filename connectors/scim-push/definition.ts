// SCIM 2.0 push as a connector kind: upstream only; the IdP calls /scim/v2 with a token of role scim
// bound to the task (POST /api/v1/tokens {role: "scim", taskId}). No settings, no secrets, no fake.
import { z } from 'zod';
import { sameFieldMapping } from '../../engine/connector-kind';
import { defineConnector } from '../types';
import { createScimPushConnector, scimPushCapabilities } from './index';

export const scimPushDefinition = defineConnector({
  kind: 'scim-push',
  directions: ['upstream'],
  capabilities: scimPushCapabilities,
  rootId: null,
  settings: z.strictObject({}),
  secrets: z.strictObject({}),
  identifyingSettings: [],
  tenantSettings: [],
  // The source fields are SCIM's (api/scim/user-resource.ts flattens a pushed user to them).
  defaultMapping: sameFieldMapping({ username: 'userName', name: 'displayName', email: 'emails', mobile: 'phoneNumbers', employeeNumber: 'employeeNumber', title: 'title' }),
  // Nothing to point at: the IdP pushes; a run reads back the hub people the task owns.
  example: { settings: {}, secrets: {} },
  create: (_settings, _secrets, deps) => createScimPushConnector({ database: deps.database, taskId: deps.hubOwnerTaskId }),
});
