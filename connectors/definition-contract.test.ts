// What a definition must provide, checked by the compiler: each `@ts-expect-error` below is a
// definition missing one part, and `npm run typecheck` fails if any of them stops being an error.
// docs/connectors.md quotes these errors.
import { z } from 'zod';
import { csvCapabilities } from './csv/connector';
import { createCsvConnector } from './csv';
import { defineConnector, type ConnectorDefinition } from './types';

const complete = {
  kind: 'acme',
  directions: ['upstream'],
  capabilities: csvCapabilities,
  rootId: null,
  settings: z.strictObject({ content: z.string() }),
  secrets: z.strictObject({ apiKey: z.string().optional(), callbackKey: z.string().optional() }),
  identifyingSettings: [],
  tenantSettings: [],
  defaultMapping: [],
  create: (settings: { content: string }) => createCsvConnector(settings),
} satisfies ConnectorDefinition<'acme', z.ZodObject<{ content: z.ZodString }>, z.ZodObject<{ apiKey: z.ZodOptional<z.ZodString>; callbackKey: z.ZodOptional<z.ZodString> }>>;

const receiver = () => ({ receive: () => ({ type: 'verification' as const, reply: { contentType: 'text/plain; charset=utf-8' as const, body: '' } }) });

test('a complete definition, with or without a webhook, compiles and keeps its literal kind', () => {
  const plain = defineConnector(complete);
  const pushing = defineConnector({ ...complete, webhook: { secretNames: ['callbackKey'], createReceiver: receiver } });
  const kinds: 'acme'[] = [plain.kind, pushing.kind];
  expect(kinds).toEqual(['acme', 'acme']);
});

test('a definition missing a part does not compile', () => {
  const { create: _create, ...withoutCreate } = complete;
  const { defaultMapping: _mapping, ...withoutMapping } = complete;
  const { rootId: _rootId, ...withoutRootId } = complete;
  // @ts-expect-error Property 'create' is missing
  defineConnector(withoutCreate);
  // @ts-expect-error Property 'defaultMapping' is missing
  defineConnector(withoutMapping);
  // @ts-expect-error Property 'rootId' is missing
  defineConnector(withoutRootId);
  // @ts-expect-error Property 'createReceiver' is missing: a kind that declares webhooks brings its receiver
  defineConnector({ ...complete, webhook: { secretNames: ['callbackKey'] } });
  // @ts-expect-error a webhook secret must be one of the kind's secrets
  defineConnector({ ...complete, webhook: { secretNames: ['callbackKye'], createReceiver: receiver } });
  expect(true).toBe(true);
});
