// The hosts the SCIM profiles document (VENDORS.md); a generic server or GHES host needs the operator's allow-list.
export const scimDocumentedHosts: readonly string[] = [
  'api.github.com',
  'api.atlassian.com',
  'api.zoom.us',
  'zoom.us',
  'cloudsso-scim-cn-shanghai.aliyun.com',
  'cloudsso-scim-ap-southeast-1.aliyun.com',
];
