// Discovery (RFC 7644 §4): ServiceProviderConfig, Schemas and ResourceTypes. The schemas list what
// this server stores (api/scim/user-resource.ts); a client (and scim2-tester) builds its requests from them.
import { enterpriseSchema, groupSchema, userSchema } from './user-resource';

type Attr = Record<string, unknown>;

function attr(name: string, options: { type?: string; multi?: boolean; required?: boolean; caseExact?: boolean; mutability?: string; returned?: string; uniqueness?: string; sub?: Attr[]; canonical?: string[]; refTypes?: string[] } = {}): Attr {
  return {
    name,
    type: options.type ?? (options.sub ? 'complex' : 'string'),
    multiValued: options.multi ?? false,
    description: name,
    required: options.required ?? false,
    ...(options.type === 'boolean' || options.sub ? {} : { caseExact: options.caseExact ?? false }),
    mutability: options.mutability ?? 'readWrite',
    returned: options.returned ?? 'default',
    uniqueness: options.uniqueness ?? 'none',
    ...(options.sub ? { subAttributes: options.sub } : {}),
    ...(options.canonical ? { canonicalValues: options.canonical } : {}),
    ...(options.refTypes ? { referenceTypes: options.refTypes } : {}),
  };
}

const multi = (name: string, types: string[]) =>
  attr(name, { multi: true, sub: [attr('value'), attr('display'), attr('type', { canonical: types }), attr('primary', { type: 'boolean' })] });

const userAttributes: Attr[] = [
  attr('userName', { required: true, uniqueness: 'server' }),
  attr('name', { sub: ['formatted', 'familyName', 'givenName', 'middleName', 'honorificPrefix', 'honorificSuffix'].map((n) => attr(n)) }),
  attr('displayName'),
  attr('nickName'),
  attr('profileUrl', { type: 'reference', refTypes: ['external'] }),
  attr('title'),
  attr('userType'),
  attr('preferredLanguage'),
  attr('locale'),
  attr('timezone'),
  attr('active', { type: 'boolean' }),
  multi('emails', ['work', 'home', 'other']),
  multi('phoneNumbers', ['work', 'home', 'mobile', 'fax', 'pager', 'other']),
  attr('addresses', {
    multi: true,
    sub: [...['formatted', 'streetAddress', 'locality', 'region', 'postalCode', 'country'].map((n) => attr(n)), attr('type', { canonical: ['work', 'home', 'other'] }), attr('primary', { type: 'boolean' })],
  }),
];

const enterpriseAttributes: Attr[] = [
  attr('employeeNumber'),
  attr('costCenter'),
  attr('organization'),
  attr('division'),
  attr('department'),
  attr('manager', { sub: [attr('value'), attr('$ref', { type: 'reference', refTypes: ['User'] }), attr('displayName', { mutability: 'readOnly' })] }),
];

const groupAttributes: Attr[] = [
  attr('displayName', { required: true }),
  attr('members', {
    multi: true,
    sub: [attr('value', { mutability: 'immutable' }), attr('$ref', { type: 'reference', refTypes: ['User'], mutability: 'immutable' }), attr('type', { canonical: ['User'], mutability: 'immutable' }), attr('display', { mutability: 'readOnly' })],
  }),
];

const schemaOf = (id: string, name: string, attributes: Attr[], baseUrl: string) => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:Schema'],
  id,
  name,
  description: name,
  attributes,
  meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${id}` },
});

export function scimSchemas(baseUrl: string) {
  return [schemaOf(userSchema, 'User', userAttributes, baseUrl), schemaOf(enterpriseSchema, 'EnterpriseUser', enterpriseAttributes, baseUrl), schemaOf(groupSchema, 'Group', groupAttributes, baseUrl)];
}

export function resourceTypes(baseUrl: string) {
  const type = (id: string, endpoint: string, schema: string, extensions: { schema: string; required: boolean }[]) => ({
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
    id,
    name: id,
    endpoint,
    description: id,
    schema,
    schemaExtensions: extensions,
    meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/${id}` },
  });
  return [type('User', '/Users', userSchema, [{ schema: enterpriseSchema, required: false }]), type('Group', '/Groups', groupSchema, [])];
}

export const maxResults = 1000;

export function serviceProviderConfig(baseUrl: string) {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
    documentationUri: 'https://github.com/sync-center/sync-center#scim-20-push-okta-entra',
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults },
    changePassword: { supported: false },
    sort: { supported: true },
    etag: { supported: true },
    authenticationSchemes: [{ type: 'oauthbearertoken', name: 'Bearer token', description: 'a Sync Center token of role scim (POST /api/v1/tokens)', primary: true }],
    meta: { resourceType: 'ServiceProviderConfig', location: `${baseUrl}/ServiceProviderConfig` },
  };
}
