// The connector kinds a task may name, with their settings and secrets as JSON Schema: what the
// console's task form is generated from (connectors/definitions.ts stays the one list).
import { z } from 'zod';
import { connectorCatalog, definitionOf } from '../../connectors/definitions';
import { readers, requireRole } from '../auth';
import { errorResponses } from '../errors';
import type { ApiRoutePlugin } from '../server';

const ConnectorKindResponse = z.object({
  kind: z.string(),
  directions: z.array(z.enum(['upstream', 'downstream'])),
  settings: z.record(z.string(), z.unknown()).describe('JSON Schema of connector.settings (as input)'),
  secrets: z.record(z.string(), z.unknown()).describe('JSON Schema of connector.secrets (write-only: never returned by the API)'),
  defaultMapping: z.array(z.object({ target: z.string(), source: z.string(), vendorField: z.string().optional() })),
  tenantSettings: z.array(z.string()).describe('changing one re-points the task: every secret must be given again'),
  realtime: z.boolean().describe('the app pushes change events (a real-time upstream task has a webhook URL)'),
  connectionTest: z.boolean(),
});

const jsonSchemaOf = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;

export const connectorKindRoutes: ApiRoutePlugin = async (app) => {
  const answer = connectorCatalog.map((facts) => {
    const definition = definitionOf(facts.kind);
    return {
      kind: facts.kind,
      directions: [...facts.directions],
      settings: jsonSchemaOf(facts.settings),
      secrets: jsonSchemaOf(facts.secrets),
      defaultMapping: facts.defaultMapping.map((row) => ({ ...row })),
      tenantSettings: [...facts.tenantSettings],
      realtime: definition?.webhook !== undefined,
      connectionTest: definition?.testConnection !== undefined,
    };
  });
  app.get(
    '/connector-kinds',
    { onRequest: requireRole(...readers), schema: { tags: ['sync tasks'], summary: 'Connector kinds with their settings and secrets schemas', response: { 200: z.object({ items: z.array(ConnectorKindResponse) }), ...errorResponses } } },
    async () => ({ items: answer }),
  );
};
