// Where a connector may send its credentials. A task author can point a base URL anywhere, so by
// default only the vendor's documented hosts are reached (each connector folder lists its own in
// hosts.ts); operators add private hosts with SYNC_CENTER_ALLOWED_HOSTS, and fakes, tests and the
// demo lift the rule with SYNC_CENTER_ALLOW_ANY_HOST=1. Read at every request, so it is the real guard.

export const allowAnyHostVariable = 'SYNC_CENTER_ALLOW_ANY_HOST';
export const allowedHostsVariable = 'SYNC_CENTER_ALLOWED_HOSTS';

type Env = Record<string, string | undefined>;

/** The operator's extra entries: host names or host:port pairs, comma or space separated, lower case. */
export function operatorAllowedHosts(env: Env = process.env): string[] {
  return (env[allowedHostsVariable] ?? '')
    .split(/[\s,]+/)
    .map((entry) => entry.trim().toLowerCase())
    .filter((entry) => entry !== '');
}

export function anyHostAllowed(env: Env = process.env): boolean {
  const value = env[allowAnyHostVariable]?.trim().toLowerCase();
  return value === '1' || value === 'true' || value === 'yes';
}

/**
 * Why this URL may not be called, or undefined when it may. The reason names the host (the
 * author's own input) and the way to allow it, never any query or path.
 */
export function hostRefusal(url: string | URL, documentedHosts: readonly string[], env: Env = process.env): string | undefined {
  if (anyHostAllowed(env)) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(String(url));
  } catch {
    return 'is not a valid URL';
  }
  const hostname = parsed.hostname.toLowerCase();
  const hostWithPort = parsed.host.toLowerCase();
  const allowed = [...documentedHosts.map((h) => h.toLowerCase()), ...operatorAllowedHosts(env)];
  if (allowed.includes(hostname) || allowed.includes(hostWithPort)) return undefined;
  return `host "${hostWithPort}" is not allowed (allowed: ${allowed.join(', ') || 'none'}); add it to ${allowedHostsVariable}, or set ${allowAnyHostVariable}=1 for local fakes`;
}
