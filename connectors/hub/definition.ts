// The hub as a connector kind: the other side of every task, never named by one.
import { z } from 'zod';
import { defineConnector } from '../types';
import { createHubConnector, hubCapabilities } from './index';

export const hubDefinition = defineConnector({
  kind: 'hub',
  internal: true,
  directions: ['upstream', 'downstream'],
  capabilities: hubCapabilities,
  rootId: null,
  settings: z.strictObject({}),
  secrets: z.strictObject({}),
  identifyingSettings: [],
  tenantSettings: [],
  defaultMapping: [],
  create: (_settings, _secrets, deps) => createHubConnector({ database: deps.database, actor: deps.actor, onChange: deps.onHubChange, ownerTaskId: deps.hubOwnerTaskId }),
});
