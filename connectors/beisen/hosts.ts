// The host Beisen documents for its open API (docs/vendors.md); anything else needs the operator's allow-list.
export const beisenDocumentedHosts: readonly string[] = ['openapi.italent.cn'];
