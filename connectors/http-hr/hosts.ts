// A generic HR source has no vendor of its own: every URL it is given (records, token endpoint) must
// name a host the operator allowed (SYNC_CENTER_ALLOWED_HOSTS, connectors/shared/host-policy.ts).
export const httpHrDocumentedHosts: readonly string[] = [];
