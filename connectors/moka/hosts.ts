// The host Moka documents for its People open API (docs/vendors.md); anything else needs the operator's allow-list.
export const mokaDocumentedHosts: readonly string[] = ['api.mokahr.com'];
