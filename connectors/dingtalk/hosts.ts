// The hosts DingTalk documents for its old (oapi) and new (api) server APIs (docs/vendors.md); anything
// else needs the operator's allow-list.
export const dingtalkDocumentedHosts: readonly string[] = ['oapi.dingtalk.com', 'api.dingtalk.com'];
