// What each app's SCIM 2.0 endpoint does differently, as data (../../../shared/VENDORS.md, SCIM
// section). The client and connector read only these fields, never a profile's name.

export const scimProfileNames = ['generic', 'github-emu', 'atlassian', 'zoom', 'aliyun-cloudsso'] as const;
export type ScimProfileName = (typeof scimProfileNames)[number];

export interface ScimProfile {
  /** what the base URL looks like (shown in /docs and the README) */
  baseUrlShape: string;
  /** the default base URL, when the app has one fixed host */
  defaultBaseUrl?: string;
  /** bearer: a static token (secret `token`); oauth-client-credentials: Zoom's account token */
  auth: 'bearer' | 'oauth-client-credentials';
  /** sent with every request (GitHub refuses a request without a User-Agent) */
  headers: Record<string, string>;
  /** the roles a created user must carry (GitHub EMU refuses a user without one) */
  createRoles?: { value: string; primary: boolean }[];
  /** the one email must be flagged primary (GitHub) */
  primaryEmail: boolean;
  /** the largest `count` the app answers (Aliyun: 100 without a filter) */
  maxPageSize: number;
  /** PATCH exists; otherwise every change is a PUT of the whole resource */
  patch: boolean;
  /** what DELETE does to a user (Atlassian: deactivates; others: erases) */
  deleteMeans: 'erase' | 'deactivate';
  /** a deactivated user answers 404 and is left out of lists (Atlassian) */
  hidesDeactivated: boolean;
  /** the attributes `eq` filters work on (every profile: userName and externalId) */
  filterAttributes: readonly string[];
  /** `or` between filters works (RFC 7644 requires it; the apps' own docs promise only single `eq`) */
  filterOr?: boolean;
  /** the rate the app tolerates, for writes or for every call */
  rateLimit: { limit: number; windowMs: number; scope: 'writes' | 'all' };
  /** Zoom's OAuth token endpoint */
  tokenUrl?: string;
}

const scimJson = { accept: 'application/scim+json' };
const hour = 3_600_000;

export const scimProfiles: Record<ScimProfileName, ScimProfile> = {
  generic: {
    baseUrlShape: 'https://HOST/scim/v2',
    auth: 'bearer',
    headers: { ...scimJson, 'user-agent': 'sync-center-scim' },
    primaryEmail: true,
    maxPageSize: 100,
    patch: true,
    deleteMeans: 'erase',
    hidesDeactivated: false,
    // members.value: a user's groups in one query instead of a scan of every group.
    filterAttributes: ['userName', 'externalId', 'displayName', 'members.value'],
    filterOr: true,
    rateLimit: { limit: 600, windowMs: 60_000, scope: 'all' },
  },
  'github-emu': {
    baseUrlShape: 'https://api.github.com/scim/v2/enterprises/ENTERPRISE (GHES: https://HOST/api/v3/scim/v2)',
    auth: 'bearer',
    headers: { ...scimJson, 'user-agent': 'sync-center-scim', 'x-github-api-version': '2022-11-28' },
    createRoles: [{ value: 'user', primary: true }],
    primaryEmail: true,
    // GitHub pages 30 by default and answers up to 100.
    maxPageSize: 100,
    patch: true,
    deleteMeans: 'erase',
    hidesDeactivated: false,
    filterAttributes: ['userName', 'externalId', 'displayName'],
    // "about 1,000 user assignments an hour": writes only; reads are not assignments.
    rateLimit: { limit: 1_000, windowMs: hour, scope: 'writes' },
  },
  atlassian: {
    baseUrlShape: 'https://api.atlassian.com/scim/directory/DIRECTORY_ID',
    auth: 'bearer',
    headers: { ...scimJson, 'user-agent': 'sync-center-scim' },
    primaryEmail: true,
    maxPageSize: 100,
    patch: true,
    deleteMeans: 'deactivate',
    hidesDeactivated: true,
    filterAttributes: ['userName', 'externalId'],
    rateLimit: { limit: 600, windowMs: 60_000, scope: 'all' },
  },
  zoom: {
    baseUrlShape: 'https://api.zoom.us/scim2 (newer accounts: https://api.zoom.us/v2/scim2)',
    defaultBaseUrl: 'https://api.zoom.us/scim2',
    auth: 'oauth-client-credentials',
    tokenUrl: 'https://zoom.us/oauth/token',
    headers: { ...scimJson, 'user-agent': 'sync-center-scim' },
    primaryEmail: true,
    maxPageSize: 100,
    patch: true,
    deleteMeans: 'erase',
    hidesDeactivated: false,
    filterAttributes: ['userName', 'externalId'],
    // ~1 request/s per endpoint; the margin absorbs network jitter between our clock and Zoom's.
    rateLimit: { limit: 1, windowMs: 1_100, scope: 'all' },
  },
  'aliyun-cloudsso': {
    baseUrlShape: 'https://cloudsso-scim-REGION.aliyun.com/scim/v2',
    auth: 'bearer',
    headers: { ...scimJson, 'user-agent': 'sync-center-scim' },
    primaryEmail: true,
    maxPageSize: 100,
    patch: true,
    deleteMeans: 'erase',
    hidesDeactivated: false,
    filterAttributes: ['userName', 'externalId', 'displayName'],
    rateLimit: { limit: 600, windowMs: 60_000, scope: 'all' },
  },
};
