// Settings and secrets of a generic HTTP/JSON HR source. The URLs are top-level settings so the
// registry's host check sees every one of them on save, before a connection test and on create.
import { z } from 'zod';
import { httpUrl, positiveInt, requiredText, secret } from '../shared/settings-schema';
import { jsonPathProblem } from './json-path';

const jsonPath = (description: string) =>
  z
    .string()
    .trim()
    .superRefine((value, ctx) => {
      const problem = jsonPathProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .describe(description);

const paramName = (description: string) =>
  z
    .string()
    .trim()
    .regex(/^[A-Za-z_][\w.-]{0,63}$/, 'must be a parameter name')
    .describe(description);

const pageSize = positiveInt('records per page; default 100').max(10_000).default(100);

export const HttpHrPaging = z
  .discriminatedUnion('style', [
    z.strictObject({ style: z.literal('none').describe('one answer holds every record') }),
    z.strictObject({
      style: z.literal('offset'),
      offsetParam: paramName('the offset parameter; default offset').default('offset'),
      limitParam: paramName('the page-size parameter; default limit').default('limit'),
      pageSize,
    }),
    z.strictObject({
      style: z.literal('page'),
      pageParam: paramName('the page-number parameter; default page').default('page'),
      sizeParam: paramName('the page-size parameter; default pageSize').default('pageSize'),
      firstPage: z.number().int().min(0).max(1).describe('the first page number, 0 or 1; default 1').default(1),
      pageSize,
    }),
    z.strictObject({
      style: z.literal('cursor'),
      cursorParam: paramName('the parameter carrying the cursor of the next page; default cursor').default('cursor'),
      nextCursorPath: jsonPath('where the answer holds the next cursor, e.g. data.next_cursor; empty, null or missing = last page'),
      sizeParam: paramName('the page-size parameter, if the API takes one').optional(),
      pageSize,
    }),
  ])
  .describe('how pages are asked for: parameters of the GET query, or fields of the POST body');

const expression = (description: string) => z.string().trim().min(1, 'is required (a JSONata expression)').describe(description);

export const HttpHrSettingsSchema = z.strictObject({
  usersUrl: httpUrl('the endpoint listing employees (its host must be in SYNC_CENTER_ALLOWED_HOSTS)'),
  usersPath: jsonPath('where the answer holds the employee records, e.g. data.items; empty = the body is the array').default(''),
  userMapping: expression(
    'JSONata from one employee record to a canonical user {id, username, name, email?, mobile?, employeeNumber?, title?, departmentIds?, managerId?, status?}, e.g. {"id": emp_no, "username": login, "name": full_name, "status": state = "ACTIVE" ? "active" : "disabled"}',
  ),
  departmentsUrl: httpUrl('the endpoint listing departments; without it, users carry no departments').optional(),
  departmentsPath: jsonPath('where the answer holds the department records; empty = the body is the array').default(''),
  departmentMapping: expression('JSONata from one department record to {id, name, parentId (null at the top), order?}').optional(),
  method: z.enum(['GET', 'POST']).describe('GET (paging in the query) or POST (paging in the JSON body); default GET').default('GET'),
  requestBody: z.record(z.string(), z.unknown()).describe('POST only: fields sent with every page (the paging fields are added)').optional(),
  paging: HttpHrPaging.default({ style: 'none' }),
  auth: z.enum(['header', 'oauth2-client-credentials']).describe('header: secrets.headerValue sent as headerName; oauth2-client-credentials: a bearer token from tokenUrl').default('header'),
  headerName: requiredText('the auth header, e.g. Authorization or X-Api-Key; default Authorization')
    .regex(/^[A-Za-z0-9-]{1,64}$/, 'must be an HTTP header name')
    .default('Authorization'),
  tokenUrl: httpUrl('OAuth2 token endpoint (client credentials grant)').optional(),
  scope: requiredText('OAuth2 scope to ask for').optional(),
  timeoutMs: positiveInt('per-call timeout').optional(),
});

export const HttpHrSecretsSchema = z.strictObject({
  headerValue: secret('auth "header": the header\'s whole value, e.g. "Bearer abc…"').optional(),
  clientId: secret('auth "oauth2-client-credentials": the client id').optional(),
  clientSecret: secret('auth "oauth2-client-credentials": the client secret').optional(),
});

export type HttpHrSettings = z.output<typeof HttpHrSettingsSchema>;
export type HttpHrSecrets = z.output<typeof HttpHrSecretsSchema>;
