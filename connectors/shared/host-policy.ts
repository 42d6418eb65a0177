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

/**
 * The same rule for an SMTP server (a notification channel's settings.host and port): no documented
 * hosts, so only what the operator allows (the host, or host:port) unless any host is allowed.
 */
export function smtpHostRefusal(host: string, port: number, env: Env = process.env): string | undefined {
  const trimmed = host.trim();
  // An IPv6 address goes in brackets; anything else must be a plain host name or address.
  const authority = trimmed.includes(':') && !trimmed.startsWith('[') ? `[${trimmed}]` : trimmed;
  if (!/^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)$/i.test(authority)) return 'is not a valid host name';
  return hostRefusal(`smtp://${authority}:${port}`, [], env);
}
