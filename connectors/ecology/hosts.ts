// e-cology is installed on the customer's own server: there is no vendor host to document, so every
// base URL needs the operator's allow-list (SYNC_CENTER_ALLOWED_HOSTS, connectors/shared/host-policy.ts).
export const ecologyDocumentedHosts: readonly string[] = [];
